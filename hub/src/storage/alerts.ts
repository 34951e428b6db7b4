import type { Kysely } from 'kysely';
import type { AlertKind, AlertSeverity } from '@khoa/protocol';
import type { Alert, Database } from './tables.ts';

export const OPEN_STATUSES = ['new', 'acknowledged', 'assigned'] as const;

export interface AlertDraft {
  kind: AlertKind;
  severity: AlertSeverity;
  householdId: string;
  deviceId: string | null;
  /** Lock or camera id, '' for the device as a whole. */
  subject: string;
  sourceEventId?: number | null | undefined;
  snapshotPath?: string | null | undefined;
  detail?: string | null | undefined;
  createdAt: number;
  deadlineAt: number;
}

/**
 * Inserts an alert unless one of the same kind is still open for the same device and subject
 * (the partial unique index `alerts_one_open` decides, so it holds across hub processes).
 * Returns the new alert, or `null` when it was a duplicate.
 */
export async function insertAlert(db: Kysely<Database>, a: AlertDraft): Promise<Alert | null> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('alerts')
      .values({
        kind: a.kind, status: 'new', severity: a.severity, household_id: a.householdId, device_id: a.deviceId, subject: a.subject,
        source_event_id: a.sourceEventId ?? null, snapshot_path: a.snapshotPath ?? null, detail: a.detail ?? null,
        created_at: a.createdAt, deadline_at: a.deadlineAt,
        acknowledged_at: null, acknowledged_by: null, assigned_at: null, assigned_by: null, assigned_to: null, resolved_at: null, resolved_by: null,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    await tx.insertInto('alert_history').values({ alert_id: row.id, from_status: null, to_status: 'new', by: 'hub', at: a.createdAt, note: a.detail ?? null }).execute();
    return row;
  });
}

export async function findOpenAlert(db: Kysely<Database>, key: { kind: AlertKind; deviceId: string; subject: string }): Promise<Alert | undefined> {
  return db
    .selectFrom('alerts')
    .selectAll()
    .where('kind', '=', key.kind)
    .where('device_id', '=', key.deviceId)
    .where('subject', '=', key.subject)
    .where('status', 'in', OPEN_STATUSES)
    .executeTakeFirst();
}

export async function listAlerts(db: Kysely<Database>, filter: { householdId?: string; kind?: AlertKind } = {}): Promise<Alert[]> {
  let q = db.selectFrom('alerts').selectAll().orderBy('id');
  if (filter.householdId) q = q.where('household_id', '=', filter.householdId);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  return q.execute();
}

/**
 * True if an alert of this kind was raised for the device and subject at or after `since`,
 * whatever its status now. Time-based rules use it to raise once per episode: an "agent
 * offline" the police resolved must not come back on the next tick while the agent is still
 * down since the same moment.
 */
export async function hasAlertSince(db: Kysely<Database>, key: { kind: AlertKind; deviceId: string; subject: string }, since: number): Promise<boolean> {
  const row = await db
    .selectFrom('alerts')
    .select('id')
    .where('kind', '=', key.kind)
    .where('device_id', '=', key.deviceId)
    .where('subject', '=', key.subject)
    .where('created_at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
