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
