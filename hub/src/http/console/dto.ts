import type { AlertDto, AlertKind, AlertSeverity, AlertStatus } from '@khoa/protocol';
import type { AlertRow } from '../../storage/alert-queries.ts';
import { OPEN_STATUSES } from '../../storage/alerts.ts';

const isOpen = (s: string) => (OPEN_STATUSES as readonly string[]).includes(s);

/** The wire shape of an alert: camelCase, epoch ms, the overdue flag computed at `now`. */
export function alertDto(r: AlertRow, now: number): AlertDto {
  return {
    id: Number(r.id), kind: r.kind as AlertKind, status: r.status as AlertStatus, severity: r.severity as AlertSeverity,
    householdId: r.household_id, address: r.address, areaId: r.area_id, areaName: r.area_name,
    deviceId: r.device_id, subject: r.subject, detail: r.detail,
    createdAt: r.created_at, deadlineAt: r.deadline_at, overdue: isOpen(r.status) && r.deadline_at < now,
    hasSnapshot: !!r.snapshot_path,
    acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by, assignedAt: r.assigned_at, assignedBy: r.assigned_by, assignedTo: r.assigned_to,
    resolvedAt: r.resolved_at, resolvedBy: r.resolved_by,
  };
}

export function encodeCursor(r: { created_at: number; id: number }): string {
  return `${r.created_at}.${Number(r.id)}`;
}

export function decodeCursor(c: string | undefined): { createdAt: number; id: number } | undefined {
  if (!c) return undefined;
  const [a, b] = c.split('.');
  return { createdAt: Number(a), id: Number(b) };
}
