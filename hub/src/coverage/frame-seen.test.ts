import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir } from '../testing/databases.ts';
import { openDb, type Db } from '../storage/open.ts';
import { coverageDb } from '../storage/coverage-tables.ts';
import { writeSample } from './sample-data.ts';
import { FrameSeen } from './frame-seen.ts';

describe('last frame mark', () => {
  let db: Db;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    db = await openDb({ url: '', busyTimeoutMs: 5000 }, dir);
    await writeSample(coverageDb(db.kysely), { now: 0, createdAt: 0, areas: [{ id: 'c', parentId: null, level: 'commune', name: 'C' }], households: [{ areaId: 'c', cameras: [{ count: 1, ageMs: null }], without: 0 }] });
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lastFrame = async () => (await coverageDb(db.kysely).selectFrom('cameras').select('last_frame_at').executeTakeFirstOrThrow()).last_frame_at;
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('writes a camera mark at most once per interval, and ignores an unknown camera', async () => {
    const errors: unknown[] = [];
    const seen = new FrameSeen(db.kysely, 300_000, (e) => errors.push(e));
    seen.note('c-h0-d', 'cam1', 1_000_000);
    await settle();
    expect(await lastFrame()).toBe(1_000_000);
    seen.note('c-h0-d', 'cam1', 1_200_000);
    await settle();
    expect(await lastFrame()).toBe(1_000_000);
    seen.note('c-h0-d', 'cam1', 1_300_000);
    await settle();
    expect(await lastFrame()).toBe(1_300_000);
    seen.note('nobody', 'cam1', 1_300_000);
    await settle();
    expect(errors).toEqual([]);
  });
});
