import type { ConsoleDb } from './console-tables.ts';

export async function insertAdvisory(db: ConsoleDb, a: { areaId: string; title: string; body: string; lang: string; createdBy: string; expiresAt: number }, now: number): Promise<number> {
  const r = await db
    .insertInto('advisories')
    .values({ area_id: a.areaId, title: a.title, body: a.body, lang: a.lang, created_by: a.createdBy, created_at: now, expires_at: a.expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

/** Advisories for any of `areaIds`, newest first; `activeAt` keeps only those not yet expired. */
export async function listAdvisories(db: ConsoleDb, areaIds: string[], opts: { activeAt?: number; limit: number }) {
  if (areaIds.length === 0) return [];
  let q = db
    .selectFrom('advisories')
    .innerJoin('areas', 'areas.id', 'advisories.area_id')
    .selectAll('advisories')
    .select('areas.name as area_name')
    .where('advisories.area_id', 'in', areaIds)
    .orderBy('advisories.id', 'desc')
    .limit(opts.limit);
  if (opts.activeAt !== undefined) q = q.where('advisories.expires_at', '>', opts.activeAt);
  return q.execute();
}

/** Agents of every household in the areas: who receives an advisory over MQTT. */
export async function agentsInAreas(db: ConsoleDb, areaIds: string[]) {
  if (areaIds.length === 0) return [];
  return db
    .selectFrom('devices')
    .innerJoin('households', 'households.id', 'devices.household_id')
    .select(['devices.id as deviceId', 'devices.household_id as householdId'])
    .where('households.area_id', 'in', areaIds)
    .where('devices.revoked', '=', 0)
    .where('devices.kind', '=', 'agent')
    .execute();
}
