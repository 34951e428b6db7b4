import type { Kysely } from 'kysely';
import type { LockEventType, RegisteredLock } from '@khoa/protocol';
import type { Database, Lock } from './tables.ts';

export async function upsertLocks(db: Kysely<Database>, deviceId: string, householdId: string, locks: RegisteredLock[], now: number): Promise<void> {
  for (const l of locks) {
    await db
      .insertInto('locks')
      .values({ device_id: deviceId, lock_id: l.id, household_id: householdId, kind: l.kind, driver: l.driver, name: l.name ?? null, lock_state: null, lock_state_at: null, door_state: null, door_state_at: null, battery: null, updated_at: now })
      .onConflict((oc) => oc.columns(['device_id', 'lock_id']).doUpdateSet({ kind: l.kind, driver: l.driver, name: l.name ?? null, updated_at: now }))
      .execute();
  }
}

/** The state change an event implies, if any. */
const stateOf: Partial<Record<LockEventType, { lock_state?: string; door_state?: string }>> = {
  locked: { lock_state: 'locked' },
  unlocked: { lock_state: 'unlocked' },
  door_open: { door_state: 'open' },
  door_closed: { door_state: 'closed' },
  // A forced door is open whatever the bolt says.
  forced: { door_state: 'open' },
};

/** The lock and door state an event type implies (empty for battery, tamper, …). */
export function lockStateChange(type: LockEventType): { lock_state?: string; door_state?: string } {
  return stateOf[type] ?? {};
}

/**
 * Applies an event to the lock's current state. A lock seen in an event before any register
 * message is created on the fly (kind unknown), so no event is lost to ordering.
 */
export async function applyLockEvent(
  db: Kysely<Database>,
  ref: { deviceId: string; householdId: string; lockId: string },
  ev: { type: LockEventType; battery?: number | undefined },
  at: number,
): Promise<void> {
  const change = stateOf[ev.type] ?? {};
  const set: Partial<Lock> = { updated_at: at };
  if (change.lock_state) Object.assign(set, { lock_state: change.lock_state, lock_state_at: at });
  if (change.door_state) Object.assign(set, { door_state: change.door_state, door_state_at: at });
  if (ev.battery !== undefined) set.battery = ev.battery;
  // One statement (an upsert, both dialects): this runs for every lock event.
  await db
    .insertInto('locks')
    .values({ device_id: ref.deviceId, lock_id: ref.lockId, household_id: ref.householdId, kind: 'unknown', driver: 'unknown', name: null, lock_state: null, lock_state_at: null, door_state: null, door_state_at: null, battery: null, updated_at: at, ...set })
    .onConflict((oc) => oc.columns(['device_id', 'lock_id']).doUpdateSet(set))
    .execute();
}

/** Locks that are unlocked or whose door is open, with their household's night hours. */
export async function listInsecureLocks(db: Kysely<Database>) {
  return db
    .selectFrom('locks')
    .innerJoin('households', 'households.id', 'locks.household_id')
    .select(['locks.device_id', 'locks.lock_id', 'locks.household_id', 'locks.lock_state', 'locks.lock_state_at', 'locks.door_state', 'locks.door_state_at', 'households.night_start', 'households.night_end', 'households.timezone'])
    .where((eb) => eb.or([eb('locks.lock_state', '=', 'unlocked'), eb('locks.door_state', '=', 'open')]))
    .execute();
}
