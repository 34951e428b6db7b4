import type { ConsoleDb } from '../../storage/console-tables.ts';
import { expireSnapshots } from '../../storage/snapshot-retention.ts';
import type { Logger } from '../../log.ts';

const EVERY_MS = 3600_000;

/** Deletes expired snapshots now and every hour; returns the stop function. `days` 0 keeps them. */
export function startSnapshotRetention(opts: { db: ConsoleDb; dataDir: string; days: number; log: Logger; now: () => number }): () => void {
  if (opts.days <= 0) return () => {};
  const run = () =>
    void expireSnapshots(opts.db, opts.dataDir, opts.now() - opts.days * 86_400_000).then(
      (n) => n && opts.log.info({ deleted: n, retentionDays: opts.days }, 'expired snapshots deleted'),
      (err: unknown) => opts.log.error({ err }, 'snapshot retention failed'),
    );
  run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
