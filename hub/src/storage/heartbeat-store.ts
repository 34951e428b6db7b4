import type { Db } from './open.ts';
import { markSeen } from './devices.ts';
import { setArmed } from './households.ts';
import { groupCommitFor, type GroupCommit } from './group-commit.ts';

/** The writes of a device heartbeat: when it was last seen, and the armed state its agent holds. */
export interface HeartbeatStore {
  seen(deviceId: string, householdId: string, at: number, armed?: boolean): Promise<void>;
}

/**
 * Every agent heartbeats (2,000 agents every 10 s is 200 a second), so on SQLite the writes go
 * through the hub's group commit with the lock events instead of a commit each; an armed state
 * that did not change is not written again. PostgreSQL goes through kysely.
 */
export function createHeartbeatStore(db: Db, group: GroupCommit | undefined = groupCommitFor(db)): HeartbeatStore {
  const native = db.native;
  if (!native || !group) {
    return {
      async seen(deviceId, householdId, at, armed) {
        await markSeen(db.kysely, deviceId, at);
        if (armed !== undefined) await setArmed(db.kysely, householdId, armed);
      },
    };
  }
  const seen = native.prepare('update devices set last_seen_at = ? where id = ? and (last_seen_at is null or last_seen_at < ?)');
  const arm = native.prepare('update households set armed = ? where id = ? and armed is not ?');
  return {
    seen: (deviceId, householdId, at, armed) =>
      group.run(() => {
        seen.run(at, deviceId, at);
        if (armed !== undefined) arm.run(armed ? 1 : 0, householdId, armed ? 1 : 0);
      }),
  };
}
