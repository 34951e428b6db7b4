import type { Selectable } from 'kysely';
import type { AuditLogTable, ConsoleDb } from './console-tables.ts';

export interface AuditEntry {
  username: string;
  role: string;
  /** e.g. snapshot.view, tip_photo.view, user.add, household.delete_data, login.failed */
  action: string;
  /** What was touched, e.g. `alert:12`. */
  target: string;
  householdId?: string | null;
  ip?: string | null;
  detail?: string | null;
}

export async function writeAudit(db: ConsoleDb, e: AuditEntry, now = Date.now()): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ at: now, username: e.username, role: e.role, action: e.action, target: e.target, household_id: e.householdId ?? null, ip: e.ip ?? null, detail: e.detail ?? null })
    .execute();
}

/** Newest first, keyset on id. */
export async function listAudit(db: ConsoleDb, opts: { before?: number | undefined; limit: number; action?: string | undefined }): Promise<Selectable<AuditLogTable>[]> {
  let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(opts.limit);
  if (opts.before) q = q.where('id', '<', opts.before);
  if (opts.action) q = q.where('action', '=', opts.action);
  return q.execute();
}
