import type { ExpressionBuilder, Kysely } from 'kysely';
import type { LockEvent } from '@khoa/protocol';
import type { Database } from './tables.ts';

/**
 * Stores a lock event once. Returns its id, or `null` when (device, seq) is already stored:
 * a replay after reconnect, which the caller counts and does not feed to the rules again.
 */
export async function insertEvent(
  db: Kysely<Database>,
  ref: { deviceId: string; householdId: string; lockId: string },
  ev: LockEvent,
  receivedAt: number,
): Promise<number | null> {
  const row = await db
    .insertInto('events')
    .values({ device_id: ref.deviceId, household_id: ref.householdId, lock_id: ref.lockId, seq: ev.seq, type: ev.type, battery: ev.battery ?? null, failures: ev.failures ?? null, source: ev.source ?? null, device_ts: ev.ts, received_at: receivedAt })
    .onConflict((oc) => oc.columns(['device_id', 'seq']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** Marks that the rules have run for an event. */
export async function markRulesDone(db: Kysely<Database>, eventId: number, at: number): Promise<void> {
  await db.updateTable('events').set({ rules_done_at: at }).where('id', '=', eventId).execute();
}

/** The stored copy of a replayed event, to see whether its rules ever ran. */
export async function getEventBySeq(db: Kysely<Database>, deviceId: string, seq: number) {
  return db.selectFrom('events').selectAll().where('device_id', '=', deviceId).where('seq', '=', seq).executeTakeFirst();
}

/**
 * Claims up to `limit` events whose rules never finished: stored before `olderThan`, or claimed
 * by a sweep before `olderThan` that never finished them (its hub died while it ran their
 * rules). A claim is `rules_done_at = -now`, in the same statement as the choice, so two hubs
 * sweeping at once do not both take an event; it is not a mark of done (a positive time is),
 * so a claim whose hub dies expires instead of leaving the event's alerts unraised for good.
 */
/** Events one sweep claims at most. */
export const CLAIM_LIMIT = 100;

export function claimUnhandledEventsQuery(db: Kysely<Database>, olderThan: number, now: number, limit = CLAIM_LIMIT) {
  const claimable = (eb: ExpressionBuilder<Database, 'events'>) =>
    eb.or([eb.and([eb('rules_done_at', 'is', null), eb('received_at', '<', olderThan)]), eb.and([eb('rules_done_at', '<', 0), eb('rules_done_at', '>', -olderThan)])]);
  // Two plain branches rather than the OR: SQLite uses the partial index events_rules_pending
  // (migration 0005) only for a query that states one of its conditions as it is written.
  const ids = db
    .selectFrom('events')
    .select('id')
    .where('rules_done_at', 'is', null)
    .where('received_at', '<', olderThan)
    .unionAll(db.selectFrom('events').select('id').where('rules_done_at', '<', 0).where('rules_done_at', '>', -olderThan))
    .orderBy('id')
    .limit(limit);
  return db.updateTable('events').set({ rules_done_at: -now }).where('id', 'in', ids).where(claimable).returningAll();
}

/** Runs claimUnhandledEventsQuery: the claimed events. */
export async function claimUnhandledEvents(db: Kysely<Database>, olderThan: number, now: number, limit = CLAIM_LIMIT) {
  return claimUnhandledEventsQuery(db, olderThan, now, limit).execute();
}

/** Gives back a claim made by claimUnhandledEvents at `claimedAt` (unless the event was marked since), so the next sweep takes it. */
export async function releaseClaim(db: Kysely<Database>, eventId: number, claimedAt: number): Promise<void> {
  await db.updateTable('events').set({ rules_done_at: null }).where('id', '=', eventId).where('rules_done_at', '=', -claimedAt).execute();
}
