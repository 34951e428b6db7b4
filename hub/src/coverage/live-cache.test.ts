import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir } from '../testing/databases.ts';
import { openDb, type Db } from '../storage/open.ts';
import { coverageDb, type CoverageDb } from '../storage/coverage-tables.ts';
import { validateSettings } from '../settings/load.ts';
import { writeSample } from './sample-data.ts';
import { LiveCoverageCache } from './live-cache.ts';

const T = Date.UTC(2026, 6, 1);

describe('live coverage cache', () => {
  let db: Db;
  let cdb: CoverageDb;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    db = await openDb({ url: '', busyTimeoutMs: 5000 }, dir);
    cdb = coverageDb(db.kysely);
    await writeSample(cdb, { now: T, createdAt: T - 1000, areas: [{ id: 'c', parentId: null, level: 'commune', name: 'C', kind: 'rural' }], households: [{ areaId: 'c', cameras: [{ count: 3, ageMs: 1000 }], without: 2 }] });
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a fresh result, serves a stale one while refreshing, and waits after clear()', async () => {
    const cache = new LiveCoverageCache(cdb, validateSettings({}).coverage, 60_000, 600_000);
    const first = await cache.get(T);
    expect(first.figures.get('c')!.households.covered).toBe(3);
    await cdb.updateTable('cameras').set({ last_frame_at: null }).where('household_id', '=', 'c-h0').execute();
    expect(await cache.get(T + 30_000)).toBe(first);
    // Stale: the old figures at once, the new ones on the next call.
    expect(await cache.get(T + 120_000)).toBe(first);
    await new Promise((r) => setTimeout(r, 200));
    const second = await cache.get(T + 121_000);
    expect(second).not.toBe(first);
    expect(second.figures.get('c')!.households.covered).toBe(2);
    cache.clear();
    await cdb.updateTable('cameras').set({ last_frame_at: null }).where('household_id', '=', 'c-h1').execute();
    expect((await cache.get(T + 122_000)).figures.get('c')!.households.covered).toBe(1);
  });
});
