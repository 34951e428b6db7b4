import type { Kysely } from 'kysely';
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
 * Claims up to `limit` events stored before `olderThan` whose rules never finished, marking
 * them done in the same statement so that two hubs sweeping at once do not both run them.
 */
export async function claimUnhandledEvents(db: Kysely<Database>, olderThan: number, now: number, limit = 100) {
  const ids = db.selectFrom('events').select('id').where('rules_done_at', 'is', null).where('received_at', '<', olderThan).orderBy('id').limit(limit);
  return db.updateTable('events').set({ rules_done_at: now }).where('id', 'in', ids).where('rules_done_at', 'is', null).returningAll().execute();
}
