import { rm } from 'node:fs/promises';
import type { ConsoleDb } from './console-tables.ts';
import { snapshotFile } from './household-data.ts';

/**
 * Deletes alert snapshots older than the retention limit (decree 13/2023: keep personal data no
 * longer than needed): the file first, then the reference, in batches so one run stays short.
 * Returns how many were deleted.
 */
export async function expireSnapshots(db: ConsoleDb, dataDir: string, olderThan: number, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db.selectFrom('alerts').select(['id', 'snapshot_path']).where('snapshot_path', 'is not', null).where('created_at', '<', olderThan).limit(batch).execute();
    if (rows.length === 0) return total;
    for (const r of rows) await rm(snapshotFile(dataDir, r.snapshot_path!), { force: true });
    await db.updateTable('alerts').set({ snapshot_path: null }).where('id', 'in', rows.map((r) => r.id)).execute();
    total += rows.length;
    if (rows.length < batch) return total;
  }
}
