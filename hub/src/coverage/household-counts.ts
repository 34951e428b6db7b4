import { sql } from 'kysely';
import type { CoverageDb } from '../storage/coverage-tables.ts';

/** Households using Khoa in one area, and how many of them are covered. */
export interface AreaCount {
  registered: number;
  covered: number;
}

/**
 * Registered and covered households per area at `at`. A household is covered when one of its
 * cameras delivered a frame or keyframe after `at - windowMs`. Only `last_frame_at` is kept per
 * camera, so this is exact for `at` = now; past days are read from snapshots (snapshots.ts).
 *
 * Households are grouped by their current area, then the few that moved after `at` are put
 * back where they were: one grouped scan instead of a history lookup per household.
 */
export async function householdCounts(db: CoverageDb, at: number, windowMs: number): Promise<Map<string, AreaCount>> {
  const since = at - windowMs;
  const [all, covered, moved] = await Promise.all([
    sql<{ area_id: string; n: number }>`select area_id, count(*) as n from households where created_at <= ${at} group by area_id`.execute(db),
    sql<{ area_id: string; n: number }>`
      select h.area_id, count(distinct c.household_id) as n from cameras c join households h on h.id = c.household_id
      where c.last_frame_at > ${since} and h.created_at <= ${at} group by h.area_id`.execute(db),
    sql<{ household_id: string; then_area: string; now_area: string; covered: number }>`
      select m.household_id, m.from_area_id as then_area, h.area_id as now_area,
        case when exists (select 1 from cameras c where c.household_id = h.id and c.last_frame_at > ${since}) then 1 else 0 end as covered
      from household_moves m join households h on h.id = m.household_id
      where h.created_at <= ${at} and m.at = (select min(m2.at) from household_moves m2 where m2.household_id = m.household_id and m2.at > ${at})`.execute(db),
  ]);
  const out = new Map<string, AreaCount>();
  const get = (id: string) => {
    let c = out.get(id);
    if (!c) out.set(id, (c = { registered: 0, covered: 0 }));
    return c;
  };
  for (const r of all.rows) get(r.area_id).registered += Number(r.n);
  for (const r of covered.rows) get(r.area_id).covered += Number(r.n);
  for (const r of moved.rows) {
    const now = get(r.now_area);
    const then = get(r.then_area);
    now.registered -= 1;
    then.registered += 1;
    if (Number(r.covered)) {
      now.covered -= 1;
      then.covered += 1;
    }
  }
  return out;
}
