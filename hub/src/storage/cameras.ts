import type { Kysely } from 'kysely';
import type { CameraState, RegisteredCamera } from '@khoa/protocol';
import type { Database } from './tables.ts';

export async function upsertCameras(db: Kysely<Database>, deviceId: string, householdId: string, cams: RegisteredCamera[], now: number): Promise<void> {
  for (const c of cams) {
    const info = { name: c.name ?? null, manufacturer: c.manufacturer ?? null, model: c.model ?? null, firmware: c.firmware ?? null, width: c.width ?? null, height: c.height ?? null, fps: c.fps ?? null, source: c.source, updated_at: now };
    await db
      .insertInto('cameras')
      .values({ device_id: deviceId, camera_id: c.id, household_id: householdId, state: null, state_at: null, ...info })
      .onConflict((oc) => oc.columns(['device_id', 'camera_id']).doUpdateSet(info))
      .execute();
  }
}

/** Records a camera's state; a camera not yet registered is created so the state is not lost. */
export async function setCameraState(db: Kysely<Database>, ref: { deviceId: string; householdId: string; cameraId: string }, state: CameraState, at: number): Promise<void> {
  await db
    .insertInto('cameras')
    .values({ device_id: ref.deviceId, camera_id: ref.cameraId, household_id: ref.householdId, name: null, manufacturer: null, model: null, firmware: null, width: null, height: null, fps: null, source: 'unknown', state, state_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['device_id', 'camera_id']).doUpdateSet({ state, state_at: at, updated_at: at }))
    .execute();
}
