import { KhoaError } from '@khoa/protocol';
import type { Principal } from '../../accounts/index.ts';
import type { AlertRow } from '../../storage/alert-queries.ts';
import { getAlertRow } from '../../storage/alert-queries.ts';
import type { ConsoleDb } from '../../storage/console-tables.ts';
import { notFound } from './context.ts';

/** Whether an account may see a household: its own, or one in an officer's area subtree. */
export function seesHousehold(p: Principal, h: { id: string; area_id: string }): boolean {
  if (p.role === 'household') return p.householdId === h.id;
  if (p.role === 'officer') return p.areaIds.has(h.area_id);
  return false;
}

/** Loads an alert the caller may see, or answers 404 (also for another commune's alert). */
export async function visibleAlert(db: ConsoleDb, p: Principal, id: number): Promise<AlertRow> {
  const row = await getAlertRow(db, id);
  if (!row || !seesHousehold(p, { id: row.household_id, area_id: row.area_id })) throw notFound(`alert ${id}`);
  return row;
}

export function requireArea(p: Principal, areaId: string): void {
  if (!p.areaIds.has(areaId)) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', `area ${areaId} is outside this account's scope`, { areaId });
}
