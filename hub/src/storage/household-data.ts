import { rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ConsoleDb } from './console-tables.ts';

/** A household's devices with their locks and cameras, for its own page. */
export async function householdDevices(db: ConsoleDb, householdId: string) {
  const [devices, locks, cameras] = await Promise.all([
    db.selectFrom('devices').select(['id', 'kind', 'status', 'status_at', 'last_seen_at', 'revoked']).where('household_id', '=', householdId).orderBy('id').execute(),
    db.selectFrom('locks').selectAll().where('household_id', '=', householdId).orderBy('lock_id').execute(),
    db.selectFrom('cameras').select(['device_id', 'camera_id', 'name', 'state', 'state_at']).where('household_id', '=', householdId).orderBy('camera_id').execute(),
  ]);
  return { devices, locks, cameras };
}

/** The household's devices: its events are theirs, reached through the (device_id, seq) index. */
const devicesOf = (db: ConsoleDb, householdId: string) => db.selectFrom('devices').select('id').where('household_id', '=', householdId);

/**
 * A household's latest lock events, newest first. Read per device through the (device_id, seq)
 * index, each device's latest by its own sequence (events replayed after an outage take their
 * place in it, not at the top), then merged by arrival: events have no household index (see
 * migration 0006).
 */
export async function householdEvents(db: ConsoleDb, householdId: string, limit: number) {
  const devices = await devicesOf(db, householdId).execute();
  const perDevice = await Promise.all(
    devices.map((d) =>
      db.selectFrom('events').select(['id', 'device_id', 'lock_id', 'type', 'battery', 'received_at']).where('device_id', '=', d.id).where('household_id', '=', householdId).orderBy('seq', 'desc').limit(limit).execute(),
    ),
  );
  return perDevice.flat().sort((a, b) => Number(b.id) - Number(a.id)).slice(0, limit);
}


export function snapshotFile(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : join(dataDir, path);
}

/**
 * Deletes what a household's devices recorded: lock events, alert snapshots (files and
 * references) and tip photos. Alerts themselves stay, stripped of images: they are the police's
 * record of having acted, and hold no image or event of the household any more.
 */
export async function deleteHouseholdData(db: ConsoleDb, householdId: string, dataDir: string): Promise<{ events: number; snapshots: number }> {
  const snaps = await db.selectFrom('alerts').select(['id', 'snapshot_path']).where('household_id', '=', householdId).where('snapshot_path', 'is not', null).execute();
  for (const s of snaps) await rm(snapshotFile(dataDir, s.snapshot_path!), { force: true });
  return db.transaction().execute(async (tx) => {
    await tx.updateTable('alerts').set({ snapshot_path: null, source_event_id: null }).where('household_id', '=', householdId).execute();
    await tx.updateTable('tips').set({ photo: null, photo_type: null }).where('household_id', '=', householdId).execute();
    const r = await tx.deleteFrom('events').where('device_id', 'in', devicesOf(tx, householdId)).where('household_id', '=', householdId).executeTakeFirst();
    return { events: Number(r.numDeletedRows), snapshots: snaps.length };
  });
}
