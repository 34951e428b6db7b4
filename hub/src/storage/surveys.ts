import type { ConsoleDb } from './console-tables.ts';

export async function saveSurvey(db: ConsoleDb, s: { householdId: string; quarter: string; answers: Record<string, boolean>; note: string | null; by: string }, now: number): Promise<boolean> {
  const passed = Object.values(s.answers).every(Boolean) ? 1 : 0;
  const row = { answers: JSON.stringify(s.answers), passed, note: s.note, by: s.by, at: now };
  await db
    .insertInto('surveys')
    .values({ household_id: s.householdId, quarter: s.quarter, ...row })
    .onConflict((oc) => oc.columns(['household_id', 'quarter']).doUpdateSet(row))
    .execute();
  return passed === 1;
}

/** Households of the areas with their survey of the quarter, if any (the officer's worklist). */
export async function surveyWorklist(db: ConsoleDb, areaIds: string[], quarter: string) {
  if (areaIds.length === 0) return [];
  return db
    .selectFrom('households')
    .innerJoin('areas', 'areas.id', 'households.area_id')
    .leftJoin('surveys', (j) => j.onRef('surveys.household_id', '=', 'households.id').on('surveys.quarter', '=', quarter))
    .select(['households.id', 'households.address', 'areas.id as area_id', 'areas.name as area_name', 'surveys.answers', 'surveys.passed', 'surveys.at'])
    .where('households.area_id', 'in', areaIds)
    .orderBy('areas.name')
    .orderBy('households.address')
    .execute();
}
