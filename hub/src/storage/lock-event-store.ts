import type { LockEvent } from '@khoa/protocol';
import type { Db } from './open.ts';
import { insertEvent, markRulesDone } from './events.ts';
import { groupCommitFor, type GroupCommit } from './group-commit.ts';
import { applyLockEvent, lockStateChange } from './locks.ts';

export interface LockEventRef {
  deviceId: string;
  householdId: string;
  lockId: string;
}

/**
 * The result of storing one lock event: its id, or `eventId: null` for a replay. The lock's new
 * state is written, not read back: no rule reads it, and returning the row cost a third of the
 * write on every event.
 */
export type WriteResult = { eventId: number } | { eventId: null };

/** A lock's state as a transaction's events leave it; null fields keep the stored value. */
interface LockStateRow {
  deviceId: string;
  lockId: string;
  householdId: string;
  lockState: string | null;
  lockStateAt: number | null;
  doorState: string | null;
  doorStateAt: number | null;
  battery: number | null;
  updatedAt: number;
}

/** The lock-event writes on the broker's path before the PUBACK. */
export interface LockEventStore {
  /** Stores a lock event and applies it to the lock's state, atomically. */
  write(ref: LockEventRef, ev: LockEvent, receivedAt: number, stateAt: number): Promise<WriteResult>;
  /** Marks that the rules have run for a stored event (see migration 0004). */
  markRulesDone(eventId: number, at: number): Promise<void>;
  /** Settles once every mark asked for so far has landed or failed (for a stopping hub). */
  flush(): Promise<void>;
  /**
   * Writes land in the order they were called (the SQLite group commit is one FIFO queue), so a
   * device's next event may be written before the previous one has committed. False on
   * PostgreSQL, where they run on a pool in any order.
   */
  readonly inCallOrder: boolean;
}

/**
 * On SQLite the statements are prepared once on the native handle and run in group commits
 * (group-commit.ts): kysely builds, compiles and prepares every query anew, which made up most
 * of an event's cost, and one commit per event cost more than its statements. PostgreSQL goes
 * through kysely (the network round trip dominates there anyway).
 */
export function createLockEventStore(db: Db, group: GroupCommit | undefined = groupCommitFor(db)): LockEventStore {
  const native = db.native;
  if (!native || !group) {
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>): Promise<void> => {
      const settled = p.catch(() => {}).finally(() => inFlight.delete(settled));
      inFlight.add(settled);
      return p;
    };
    return {
      // One transaction: an event stored without its state change would, once resent, be a
      // "replay" and its state change would never be applied.
      write: (ref, ev, receivedAt, stateAt) =>
        db.kysely.transaction().execute(async (tx): Promise<WriteResult> => {
          const eventId = await insertEvent(tx, ref, ev, receivedAt);
          if (eventId === null) return { eventId: null };
          await applyLockEvent(tx, ref, ev, stateAt);
          return { eventId };
        }),
      markRulesDone: (eventId, at) => track(markRulesDone(db.kysely, eventId, at)),
      flush: () => Promise.all(inFlight).then(() => undefined),
      inCallOrder: false,
    };
  }
  // Not `returning id`: SQLite stages RETURNING rows in a table of their own, which cost a third
  // of the insert (10.3 against 7.1 µs, 256-event transactions); a replay changes no row.
  const insert = native.prepare<unknown[]>(
    `insert into events (device_id, household_id, lock_id, seq, type, battery, failures, source, device_ts, received_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (device_id, seq) do nothing`,
  );
  // Columns left null keep their value (coalesce with the excluded row), as applyLockEvent does.
  const upsert = native.prepare<unknown[]>(
    `insert into locks (device_id, lock_id, household_id, kind, driver, name, lock_state, lock_state_at, door_state, door_state_at, battery, updated_at)
     values (?, ?, ?, 'unknown', 'unknown', null, ?, ?, ?, ?, ?, ?)
     on conflict (device_id, lock_id) do update set
       lock_state = coalesce(excluded.lock_state, locks.lock_state),
       lock_state_at = coalesce(excluded.lock_state_at, locks.lock_state_at),
       door_state = coalesce(excluded.door_state, locks.door_state),
       door_state_at = coalesce(excluded.door_state_at, locks.door_state_at),
       battery = coalesce(excluded.battery, locks.battery),
       updated_at = excluded.updated_at`,
  );
  // One statement for a turn's marks: a statement per id cost twice as much (2.6 against 1.3 µs).
  const markDone = native.prepare('update events set rules_done_at = ? where id in (select value from json_each(?))');
  // A lock's new state is written once per transaction, after its events (GroupCommit hooks):
  // a device replaying its stored events after an outage sends hundreds for one lock, and only
  // the last state of each field matters (coalesce, as the upsert would have done row by row).
  const states = new Map<string, LockStateRow>();
  group.addHooks({
    begin: () => states.clear(),
    end: () => {
      for (const r of states.values()) upsert.run(r.deviceId, r.lockId, r.householdId, r.lockState, r.lockStateAt, r.doorState, r.doorStateAt, r.battery, r.updatedAt);
      states.clear();
    },
  });
  // The event and its lock's state land in the same group transaction.
  const writeOne = (ref: LockEventRef, ev: LockEvent, receivedAt: number, stateAt: number): WriteResult => {
    const row = insert.run(ref.deviceId, ref.householdId, ref.lockId, ev.seq, ev.type, ev.battery ?? null, ev.failures ?? null, ev.source ?? null, ev.ts, receivedAt);
    if (row.changes === 0) return { eventId: null };
    const key = `${ref.deviceId}\u0000${ref.lockId}`;
    let state = states.get(key);
    if (!state) {
      state = { deviceId: ref.deviceId, lockId: ref.lockId, householdId: ref.householdId, lockState: null, lockStateAt: null, doorState: null, doorStateAt: null, battery: null, updatedAt: stateAt };
      states.set(key, state);
    }
    const change = lockStateChange(ev.type);
    if (change.lock_state) {
      state.lockState = change.lock_state;
      state.lockStateAt = stateAt;
    }
    if (change.door_state) {
      state.doorState = change.door_state;
      state.doorStateAt = stateAt;
    }
    if (ev.battery !== undefined) state.battery = ev.battery;
    state.updatedAt = stateAt;
    return { eventId: Number(row.lastInsertRowid) };
  };
  // The marks of one turn share one op of the group (one promise, not one per event): nothing
  // waits on a mark but the resume sweep, which finds a lost one and runs its rules again.
  let marks: { ids: number[]; at: number } | undefined;
  let marked: Promise<void> = Promise.resolve();
  const markAll = (batch: { ids: number[]; at: number }) => (): void => {
    if (marks === batch) marks = undefined;
    markDone.run(batch.at, JSON.stringify(batch.ids));
  };
  return {
    write: (ref, ev, receivedAt, stateAt) => group.run(() => writeOne(ref, ev, receivedAt, stateAt), ref.deviceId),
    markRulesDone: (eventId, at) => {
      if (!marks) {
        marks = { ids: [], at };
        marked = group.run(markAll(marks));
      }
      marks.ids.push(eventId);
      // The turn's latest time: a mark says when the rules were done, to the turn.
      if (at > marks.at) marks.at = at;
      return marked;
    },
    // Group ops run in order, so the newest marks' op settles after every earlier one.
    flush: () => marked.catch(() => {}),
    inCallOrder: true,
  };
}
