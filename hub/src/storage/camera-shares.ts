import type { ConsoleDb } from './console-tables.ts';

/** A household's camera shared with police until a time; at most one row per camera. */
export async function shareCamera(db: ConsoleDb, s: { householdId: string; deviceId: string; cameraId: string; until: number; by: string }, now: number): Promise<void> {
  const row = { household_id: s.householdId, device_id: s.deviceId, camera_id: s.cameraId, until: s.until, by: s.by, at: now };
  await db
    .insertInto('camera_shares')
    .values(row)
    .onConflict((oc) => oc.columns(['household_id', 'device_id', 'camera_id']).doUpdateSet({ until: s.until, by: s.by, at: now }))
    .execute();
}

export async function stopSharing(db: ConsoleDb, householdId: string): Promise<void> {
  await db.deleteFrom('camera_shares').where('household_id', '=', householdId).execute();
}

/** The share that lasts longest among the household's cameras, if any is still running. */
export async function activeShare(db: ConsoleDb, householdId: string, now: number) {
  return db.selectFrom('camera_shares').selectAll().where('household_id', '=', householdId).where('until', '>', now).orderBy('until', 'desc').executeTakeFirst();
}

export async function listShares(db: ConsoleDb, householdId: string, now: number) {
  return db.selectFrom('camera_shares').selectAll().where('household_id', '=', householdId).where('until', '>', now).execute();
}
