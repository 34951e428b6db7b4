import { sql } from 'kysely';
import { ALERT_TRANSITIONS, KhoaError, type AlertKind, type AlertStatus } from '@khoa/protocol';
import type { Alert } from './tables.ts';
import type { ConsoleDb } from './console-tables.ts';
import { OPEN_STATUSES } from './alerts.ts';

/** An alert with what the console shows beside it: where the household is. */
export type AlertRow = Alert & { address: string; area_id: string; area_name: string };

export interface AlertFilter {
  /** Area ids the reader may see (its subtree); a household member passes its household instead. */
  areaIds?: string[] | undefined;
  householdId?: string | undefined;
  status?: AlertStatus | 'open' | 'all' | undefined;
  kind?: AlertKind | undefined;
  overdue?: boolean | undefined;
  assignedTo?: string | undefined;
  q?: string | undefined;
  /** Keyset: rows strictly older than (createdAt, id). */
  before?: { createdAt: number; id: number } | undefined;
  limit: number;
  now: number;
}

function base(db: ConsoleDb) {
  return db
    .selectFrom('alerts')
    .innerJoin('households', 'households.id', 'alerts.household_id')
    .innerJoin('areas', 'areas.id', 'households.area_id')
    .selectAll('alerts')
    .select(['households.address as address', 'households.area_id as area_id', 'areas.name as area_name']);
}

/**
 * One page of alerts, newest first. Keyset pagination on (created_at, id) so page 200 costs
 * what page 1 costs; the order is total because id breaks ties.
 */
export async function queryAlerts(db: ConsoleDb, f: AlertFilter): Promise<AlertRow[]> {
  let q = base(db);
  if (f.areaIds) q = f.areaIds.length ? q.where('households.area_id', 'in', f.areaIds) : q.where(sql<boolean>`1 = 0`);
  if (f.householdId) q = q.where('alerts.household_id', '=', f.householdId);
  const status = f.status ?? 'open';
  if (status === 'open') q = q.where('alerts.status', 'in', OPEN_STATUSES);
  else if (status !== 'all') q = q.where('alerts.status', '=', status);
  if (f.kind) q = q.where('alerts.kind', '=', f.kind);
  if (f.overdue === true) q = q.where('alerts.deadline_at', '<', f.now).where('alerts.status', 'in', OPEN_STATUSES);
  if (f.assignedTo) q = q.where('alerts.assigned_to', '=', f.assignedTo);
  if (f.q) {
    const ids = await householdsMatching(db, f.areaIds, f.householdId, f.q);
    q = ids.length ? q.where('alerts.household_id', 'in', ids) : q.where(sql<boolean>`1 = 0`);
  }
  if (f.before) {
    const { createdAt, id } = f.before;
    q = q.where((eb) => eb.or([eb('alerts.created_at', '<', createdAt), eb.and([eb('alerts.created_at', '=', createdAt), eb('alerts.id', '<', id)])]));
  }
  return q.orderBy('alerts.created_at', 'desc').orderBy('alerts.id', 'desc').limit(f.limit).execute() as Promise<AlertRow[]>;
}

/** Lower case without diacritics, đ as d: "Đồng Mậm" and "dong mam" are the same search. */
export function foldVietnamese(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

/**
 * Household ids in scope whose address or id contains the search text. Done here rather than
 * in SQL because SQLite's lower() and LIKE know only ASCII, and Vietnamese is typed with or
 * without its diacritics; a commune has a few thousand households at most.
 */
async function householdsMatching(db: ConsoleDb, areaIds: string[] | undefined, householdId: string | undefined, text: string): Promise<string[]> {
  let q = db.selectFrom('households').select(['id', 'address']);
  if (areaIds) q = areaIds.length ? q.where('area_id', 'in', areaIds) : q.where(sql<boolean>`1 = 0`);
  if (householdId) q = q.where('id', '=', householdId);
  const needle = foldVietnamese(text.trim());
  return (await q.execute()).filter((h) => foldVietnamese(`${h.address} ${h.id}`).includes(needle)).map((h) => h.id);
}

export async function getAlertRow(db: ConsoleDb, id: number): Promise<AlertRow | undefined> {
  return base(db).where('alerts.id', '=', id).executeTakeFirst() as Promise<AlertRow | undefined>;
}

export interface Transition {
  to: AlertStatus;
  by: string;
  at: number;
  note?: string | undefined;
  assignedTo?: string | undefined;
}

/**
 * Moves an alert one workflow step. The update is conditional on the status read just before,
 * so two officers clicking at once cannot both win: the second gets a conflict (409).
 */
export async function transitionAlert(db: ConsoleDb, id: number, t: Transition): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const cur = await tx.selectFrom('alerts').select(['status']).where('id', '=', id).executeTakeFirst();
    if (!cur) throw new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', `alert ${id}`, { alertId: id });
    const from = cur.status as AlertStatus;
    if (!ALERT_TRANSITIONS[from]?.includes(t.to)) {
      throw new KhoaError('KHOA_ERR_HTTP_CONFLICT', `alert ${id} is ${from}; cannot become ${t.to}`, { alertId: id, from, to: t.to });
    }
    const set: Record<string, unknown> = { status: t.to };
    if (t.to === 'acknowledged') Object.assign(set, { acknowledged_at: t.at, acknowledged_by: t.by });
    if (t.to === 'assigned') Object.assign(set, { assigned_at: t.at, assigned_by: t.by, assigned_to: t.assignedTo ?? t.by });
    if (t.to === 'resolved' || t.to === 'false_alarm') Object.assign(set, { resolved_at: t.at, resolved_by: t.by });
    // Acknowledging is implied by any later step; record it once so response times are honest.
    if (from === 'new' && t.to !== 'acknowledged') Object.assign(set, { acknowledged_at: t.at, acknowledged_by: t.by });
    const r = await tx.updateTable('alerts').set(set).where('id', '=', id).where('status', '=', from).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new KhoaError('KHOA_ERR_HTTP_CONFLICT', `alert ${id} changed meanwhile`, { alertId: id });
    const note = t.to === 'assigned' ? [`→ ${t.assignedTo ?? t.by}`, t.note].filter(Boolean).join(' · ') : (t.note ?? null);
    await tx.insertInto('alert_history').values({ alert_id: id, from_status: from, to_status: t.to, by: t.by, at: t.at, note }).execute();
  });
}

export async function alertHistory(db: ConsoleDb, id: number) {
  return db.selectFrom('alert_history').selectAll().where('alert_id', '=', id).orderBy('id').execute();
}

export async function addAlertNote(db: ConsoleDb, alertId: number, by: string, text: string, at: number): Promise<number> {
  const r = await db.insertInto('alert_notes').values({ alert_id: alertId, by, at, text }).returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

export async function alertNotes(db: ConsoleDb, id: number) {
  return db.selectFrom('alert_notes').selectAll().where('alert_id', '=', id).orderBy('id').execute();
}

/** The device's latest lock events, for the alert detail. */
export async function recentDeviceEvents(db: ConsoleDb, deviceId: string, limit = 20) {
  return db.selectFrom('events').select(['id', 'lock_id', 'type', 'received_at', 'battery']).where('device_id', '=', deviceId).orderBy('id', 'desc').limit(limit).execute();
}
