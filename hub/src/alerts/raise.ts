import type { Kysely } from 'kysely';
import type { AlertKind } from '@khoa/protocol';
import type { Database, Alert } from '../storage/tables.ts';
import { insertAlert } from '../storage/alerts.ts';
import type { Settings } from '../settings/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { AlertBus } from './bus.ts';
import { SEVERITY_OF } from './severity.ts';

export interface RaiseRequest {
  kind: AlertKind;
  householdId: string;
  deviceId: string | null;
  /** Lock or camera id; '' (default) when the alert is about the whole device. */
  subject?: string;
  sourceEventId?: number | null;
  snapshotPath?: string | null;
  detail?: string;
}

export type RaiseAlert = (req: RaiseRequest) => Promise<Alert | null>;

/**
 * Makes the one function every rule (and the frame pipeline) calls to raise an alert: severity
 * and deadline from the kind, stored deduplicated (one open alert per kind, device and
 * subject), counted, logged, and announced on the bus. Returns null for a duplicate.
 */
export function createAlertRaiser(deps: { db: Kysely<Database>; settings: Settings['alerts']; metrics: Metrics; log: Logger; bus: AlertBus; now: () => number }): RaiseAlert {
  return async (req) => {
    const severity = SEVERITY_OF[req.kind];
    const createdAt = deps.now();
    const alert = await withRetry(() => insertAlert(deps.db, {
      kind: req.kind,
      severity,
      householdId: req.householdId,
      deviceId: req.deviceId,
      subject: req.subject ?? '',
      sourceEventId: req.sourceEventId ?? null,
      snapshotPath: req.snapshotPath ?? null,
      detail: req.detail ?? null,
      createdAt,
      deadlineAt: createdAt + deps.settings.deadlineMinutes[severity] * 60_000,
    }), (err, attempt) => deps.log.warn({ err, kind: req.kind, householdId: req.householdId, deviceId: req.deviceId, attempt }, 'storing an alert failed; retrying'));
    const ctx = { kind: req.kind, householdId: req.householdId, deviceId: req.deviceId, subject: req.subject };
    if (!alert) {
      deps.metrics.alertsDeduplicated.inc({ kind: req.kind });
      deps.log.debug(ctx, 'alert already open; not raised again');
      return null;
    }
    deps.metrics.alertsRaised.inc({ kind: req.kind });
    deps.log.info({ ...ctx, alertId: alert.id, severity }, 'alert raised');
    deps.bus.emit(alert);
    return alert;
  };
}

const RETRY_DELAYS_MS = [100, 500, 2000];

/**
 * Retries a storage write a few times. The event that triggers an alert is already stored
 * (and acknowledged) when the rule raises it, and a resent event is a replay that raises
 * nothing: a brief database outage must not lose the alert.
 */
async function withRetry<T>(write: () => Promise<T>, onRetry: (err: unknown, attempt: number) => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) throw err;
      onRetry(err, attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
