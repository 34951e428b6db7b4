import { KhoaError } from '@khoa/protocol';
import type { CoverageDb } from '../storage/coverage-tables.ts';

/**
 * Moves a household to another area and records the move, so coverage and response figures
 * of earlier periods still count it where it was then (household-counts.ts, response.ts).
 */
export async function moveHousehold(db: CoverageDb, householdId: string, toAreaId: string, at: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const h = await tx.selectFrom('households').select(['area_id', 'created_at']).where('id', '=', householdId).executeTakeFirst();
    if (!h) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', householdId, { householdId });
    if (!(await tx.selectFrom('areas').select('id').where('id', '=', toAreaId).executeTakeFirst())) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', toAreaId, { areaId: toAreaId });
    if (h.area_id === toAreaId) return;
    const last = await tx.selectFrom('household_moves').select((eb) => eb.fn.max('at').as('at')).where('household_id', '=', householdId).executeTakeFirst();
    // History only grows forward: a move dated before the last one would rewrite a closed period.
    if (at < Number(h.created_at) || (last?.at != null && at <= Number(last.at))) {
      throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `move of ${householdId} at ${new Date(at).toISOString()} is not after its last change`, { householdId, field: 'at' });
    }
    await tx.insertInto('household_moves').values({ household_id: householdId, at, from_area_id: h.area_id, to_area_id: toAreaId }).execute();
    await tx.updateTable('households').set({ area_id: toAreaId }).where('id', '=', householdId).execute();
  });
}
