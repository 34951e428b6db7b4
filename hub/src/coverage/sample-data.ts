import type { CoverageDb } from '../storage/coverage-tables.ts';

/**
 * Writes a generated district straight into the tables (tests and the coverage benchmark need
 * thousands of households, which the one-by-one storage helpers would take minutes to add).
 * Each village lists how many of its households have a camera with a fresh frame, a stale one,
 * or none; everything else is deterministic, so tests know the answers.
 */
export interface SampleArea {
  id: string;
  parentId: string | null;
  level: string;
  name: string;
  kind?: 'urban' | 'rural' | null;
  /** Census households of this area itself. */
  census?: number | null;
  residentialAreas?: [number, number];
  agencies?: [number, number];
}

export interface SampleHouseholds {
  areaId: string;
  /** Households with a camera whose last frame is `ageMs` old; `null` age: registered camera, never a frame. */
  cameras: { count: number; ageMs: number | null }[];
  /** Households without any camera. */
  without: number;
}

export async function writeSample(db: CoverageDb, opts: { areas: SampleArea[]; households: SampleHouseholds[]; now: number; createdAt: number }): Promise<string[]> {
  const ids: string[] = [];
  await db.transaction().execute(async (tx) => {
    for (const a of opts.areas) {
      await tx.insertInto('areas').values({ id: a.id, parent_id: a.parentId, level: a.level, name: a.name, kind: a.kind ?? null, created_at: opts.createdAt }).execute();
      await tx
        .insertInto('area_versions')
        .values({
          area_id: a.id, valid_from: opts.createdAt, valid_to: null, parent_id: a.parentId, level: a.level, name: a.name, kind: a.kind ?? null, households: a.census ?? null,
          residential_areas: a.residentialAreas?.[0] ?? 0, residential_areas_covered: a.residentialAreas?.[1] ?? 0, agencies: a.agencies?.[0] ?? 0, agencies_covered: a.agencies?.[1] ?? 0,
        })
        .execute();
    }
    for (const g of opts.households) {
      const hh: { id: string; cam: number | null | undefined }[] = [];
      for (const c of g.cameras) for (let i = 0; i < c.count; i++) hh.push({ id: `${g.areaId}-h${hh.length}`, cam: c.ageMs });
      for (let i = 0; i < g.without; i++) hh.push({ id: `${g.areaId}-h${hh.length}`, cam: undefined });
      for (let i = 0; i < hh.length; i += 400) {
        const batch = hh.slice(i, i + 400);
        await tx
          .insertInto('households')
          .values(batch.map((h) => ({ id: h.id, area_id: g.areaId, address: '', night_start: '22:00', night_end: '05:30', timezone: 'Asia/Ho_Chi_Minh', armed: 0, created_at: opts.createdAt })))
          .execute();
        const withCam = batch.filter((h) => h.cam !== undefined);
        if (!withCam.length) continue;
        await tx
          .insertInto('devices')
          .values(withCam.map((h) => ({ id: `${h.id}-d`, household_id: h.id, kind: 'agent', credential_hash: 'sample', revoked: 0, status: 'online', status_at: null, last_seen_at: null, agent_version: null, platform: null, registered_at: null, created_at: opts.createdAt })))
          .execute();
        await tx
          .insertInto('cameras')
          .values(withCam.map((h) => ({
            device_id: `${h.id}-d`, camera_id: 'cam1', household_id: h.id, name: null, manufacturer: null, model: null, firmware: null, width: null, height: null, fps: null,
            source: 'sample', state: 'streaming', state_at: null, updated_at: opts.createdAt, last_frame_at: h.cam === null || h.cam === undefined ? null : opts.now - h.cam,
          })))
          .execute();
      }
      ids.push(...hh.map((h) => h.id));
    }
  });
  return ids;
}
