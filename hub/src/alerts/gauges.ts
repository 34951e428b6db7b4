import { Gauge, type Registry } from 'prom-client';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/tables.ts';

export interface OpenAlertCount {
  kind: string;
  status: string;
  open: number;
  overdue: number;
}

/**
 * Alerts by kind and status, and overdue ones by kind (seed 001 counts overdue tips), read from
 * the database at scrape time: several hubs share one database in scale-out mode, so counters
 * kept in one process would each see only part of the workflow.
 */
export function registerAlertGauges(registry: Registry, load: () => Promise<OpenAlertCount[]>): void {
  let last: Promise<OpenAlertCount[]> | undefined;
  // Both gauges are collected in one scrape; one query serves them.
  const rows = () => (last ??= load().finally(() => setTimeout(() => (last = undefined), 0)));
  new Gauge({
    name: 'khoa_alerts_open',
    help: 'alerts not yet resolved or marked false alarm, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rows()) this.set({ kind: r.kind, status: r.status }, r.open);
    },
  });
  new Gauge({
    name: 'khoa_alerts_overdue',
    help: 'open alerts past their deadline, by kind (tip: citizen tips not handled in time)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const byKind = new Map<string, number>();
      for (const r of await rows()) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + r.overdue);
      for (const [kind, n] of byKind) this.set({ kind }, n);
    },
  });
}

/** The query behind the alert gauges. */
export function openAlertCounts(db: Kysely<Database>, now: () => number): () => Promise<OpenAlertCount[]> {
  return async () => {
    const rows = await db
      .selectFrom('alerts')
      .select(['kind', 'status', sql<number>`count(*)`.as('open'), sql<number>`sum(case when deadline_at < ${now()} then 1 else 0 end)`.as('overdue')])
      .where('status', 'in', ['new', 'acknowledged', 'assigned'])
      .groupBy(['kind', 'status'])
      .execute();
    return rows.map((r) => ({ kind: r.kind, status: r.status, open: Number(r.open), overdue: Number(r.overdue ?? 0) }));
  };
}
