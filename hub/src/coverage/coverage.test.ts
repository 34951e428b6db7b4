import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { dbTargets } from '../testing/databases.ts';
import { openDb, type Db } from '../storage/open.ts';
import { coverageDb, type CoverageDb } from '../storage/coverage-tables.ts';
import { validateSettings } from '../settings/load.ts';
import { computeCoverage } from './coverage.ts';
import { householdCounts } from './household-counts.ts';
import { moveHousehold } from './moves.ts';
import { responseByArea } from './response.ts';
import { parsePeriod } from './periods.ts';
import { treeAt } from './tree-at.ts';
import { writeSample, type SampleArea } from './sample-data.ts';
import { saveSnapshot, snapshotBefore } from './snapshots.ts';

const H = 3600_000;
const MIN = 60_000;
/** 2026-07-15 12:00 in Vietnam. */
const NOW = Date.UTC(2026, 6, 15, 5);
const settings = validateSettings({}).coverage;

/**
 * A generated district with known answers: province P → district D → communes C1 (urban),
 * C2 (rural), C3 (rural, no households); commune C4 (urban) sits directly under P (no district
 * level). 3,800 households; cameras fresh (1 h), at the window's edge (23 h, 24 h, 25 h),
 * stale, or registered without a frame.
 */
export const AREAS: SampleArea[] = [
  { id: 'p', parentId: null, level: 'province', name: 'Tỉnh P' },
  { id: 'd', parentId: 'p', level: 'district', name: 'Huyện D' },
  { id: 'c1', parentId: 'd', level: 'commune', name: 'Thị trấn C1', kind: 'urban', residentialAreas: [10, 9], agencies: [5, 5] },
  { id: 'c2', parentId: 'd', level: 'commune', name: 'Xã C2', kind: 'rural', residentialAreas: [20, 12], agencies: [4, 2] },
  { id: 'c3', parentId: 'd', level: 'commune', name: 'Xã C3', kind: 'rural' },
  { id: 'c4', parentId: 'p', level: 'commune', name: 'Phường C4', kind: 'urban', residentialAreas: [3, 3] },
  { id: 'v1a', parentId: 'c1', level: 'village', name: 'Tổ 1', census: 1200 },
  { id: 'v1b', parentId: 'c1', level: 'village', name: 'Tổ 2' },
  { id: 'v2a', parentId: 'c2', level: 'village', name: 'Thôn A', census: 2000 },
  { id: 'v2b', parentId: 'c2', level: 'village', name: 'Thôn B', census: 500 },
  { id: 'v4a', parentId: 'c4', level: 'village', name: 'Khu phố 1', census: 250 },
];

describe.each(dbTargets)('coverage and response on $name', (target) => {
  let db: Db;
  let cdb: CoverageDb;
  let env: ReturnType<typeof target.make>;
  beforeAll(async () => {
    env = target.make();
    db = await openDb(env.db, env.dataDir);
    cdb = coverageDb(db.kysely);
    await writeSample(cdb, {
      now: NOW,
      createdAt: Date.UTC(2025, 11, 1),
      areas: AREAS,
      households: [
        { areaId: 'v1a', cameras: [{ count: 150, ageMs: H }, { count: 10, ageMs: 23 * H }, { count: 100, ageMs: 25 * H }, { count: 40, ageMs: null }], without: 700 },
        { areaId: 'v1b', cameras: [{ count: 50, ageMs: 2 * H }, { count: 60, ageMs: 30 * H }], without: 690 },
        { areaId: 'v2a', cameras: [{ count: 130, ageMs: 5 * H }, { count: 200, ageMs: 48 * H }], without: 870 },
        { areaId: 'v2b', cameras: [{ count: 100, ageMs: 25 * H }, { count: 1, ageMs: 24 * H }], without: 399 },
        { areaId: 'v4a', cameras: [{ count: 200, ageMs: 10 * MIN }], without: 100 },
      ],
    });
    // Ten covered households of Tổ 2 also have a dead second camera: still one covered household each.
    for (let i = 0; i < 10; i++) {
      await cdb.insertInto('cameras').values({ device_id: `v1b-h${i}-d`, camera_id: 'cam2', household_id: `v1b-h${i}`, name: null, manufacturer: null, model: null, firmware: null, width: null, height: null, fps: null, source: 'sample', state: 'lost', state_at: null, updated_at: NOW, last_frame_at: NOW - 40 * H }).execute();
    }
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await env?.cleanup();
  });

  it('counts households covered in the last 24 h per village, commune, district and province, urban and rural apart', async () => {
    const { figures } = await computeCoverage(cdb, settings, NOW);
    const f = (id: string) => figures.get(id)!;
    // 23 h counts, 24 h and 25 h do not; a camera that never sent a frame does not.
    expect(f('v1a').urban).toEqual({ total: 1200, covered: 160, percent: 13.33, targetPercent: 50, needed: 441 });
    expect(f('v1b').urban).toEqual({ total: 800, covered: 50, percent: 6.25, targetPercent: 50, needed: 351 });
    expect(f('c1').urban).toEqual({ total: 2000, covered: 210, percent: 10.5, targetPercent: 50, needed: 791 });
    expect(f('v2b').rural).toEqual({ total: 500, covered: 0, percent: 0, targetPercent: 20, needed: 100 });
    expect(f('c2').rural).toEqual({ total: 2500, covered: 130, percent: 5.2, targetPercent: 20, needed: 370 });
    // Registered above a stale census: the registered count wins.
    expect(f('v4a').urban).toEqual({ total: 300, covered: 200, percent: 66.67, targetPercent: 50, needed: 0 });
    expect(f('d').households).toEqual({ total: 4500, covered: 340, percent: 7.56, targetPercent: null, needed: 1161 });
    expect(f('d').registered).toBe(3500);
    expect(f('p').households).toEqual({ total: 4800, covered: 540, percent: 11.25, targetPercent: null, needed: 741 + 370 });
    expect(f('p').urban.covered).toBe(410);
    expect(f('p').rural.covered).toBe(130);
    expect(f('d').residentialAreas).toEqual({ total: 30, covered: 21, percent: 70, targetPercent: 100, needed: 9 });
    expect(f('d').agencies).toEqual({ total: 9, covered: 7, percent: 77.78, targetPercent: 100, needed: 2 });
    expect(f('p').residentialAreas.total).toBe(33);
    expect(f('v1a').kind).toBe('urban');
    expect(f('d').kind).toBeNull();
  });

  it('shows an area without households as empty, not as 0 % or an error', async () => {
    const { figures } = await computeCoverage(cdb, settings, NOW);
    expect(figures.get('c3')!.households).toEqual({ total: 0, covered: 0, percent: null, targetPercent: null, needed: 0 });
    expect(figures.get('c3')!.rural.needed).toBe(0);
  });

  it('measures a 2022 period against the 2022 targets', async () => {
    const { figures } = await computeCoverage(cdb, { ...settings, targets: settings.targets.map((t) => ({ ...t, year: t.year + 4 })) }, NOW);
    // 2026 now falls under the first target (30 % urban, not strict): 600 − 210.
    expect(figures.get('c1')!.urban).toMatchObject({ targetPercent: 30, needed: 390 });
  });

  it('computes response figures per commune for a period, with steps after its end ignored', async () => {
    const june = parsePeriod('2026-06');
    const t0 = Date.UTC(2026, 5, 10, 1);
    const base = { severity: 'high', device_id: null, subject: '', source_event_id: null, snapshot_path: null, detail: null, acknowledged_by: null, assigned_by: null, assigned_to: null, resolved_by: null };
    const rows = [];
    for (let i = 0; i < 10; i++) {
      const c = t0 + i * H;
      rows.push({ ...base, kind: 'tip', status: i < 9 ? 'resolved' : 'acknowledged', household_id: `v1a-h${i}`, created_at: c, deadline_at: c + 60 * MIN, acknowledged_at: c + (i + 1) * MIN, assigned_at: null, resolved_at: i < 9 ? c + (i + 1) * 10 * MIN : null });
    }
    // Raised an hour before the month ends, taken up after it: open and overdue in June's report.
    const late = june.to - H;
    rows.push({ ...base, kind: 'tip', status: 'acknowledged', household_id: 'v1b-h1', created_at: late, deadline_at: late + H, acknowledged_at: late + 2 * H, assigned_at: null, resolved_at: null });
    const a = Date.UTC(2026, 5, 20);
    rows.push({ ...base, kind: 'person', status: 'assigned', household_id: 'v2a-h1', created_at: a, deadline_at: a + 15 * MIN, acknowledged_at: null, assigned_at: a + 2 * MIN, resolved_at: null });
    rows.push({ ...base, kind: 'person', status: 'resolved', household_id: 'v2a-h2', created_at: a, deadline_at: a + 15 * MIN, acknowledged_at: null, assigned_at: null, resolved_at: a + 30 * MIN });
    rows.push({ ...base, kind: 'door_forced', status: 'new', household_id: 'v2a-h3', created_at: a, deadline_at: a + 15 * MIN, acknowledged_at: null, assigned_at: null, resolved_at: null });
    // Outside June: not counted.
    rows.push({ ...base, kind: 'tip', status: 'new', household_id: 'v1a-h1', created_at: june.to, deadline_at: june.to + H, acknowledged_at: null, assigned_at: null, resolved_at: null });
    // SOS of a household of Tổ 1 that moves to Thôn A in July: June counts it in C1.
    rows.push({ ...base, kind: 'sos', status: 'resolved', household_id: 'v1a-h0', created_at: Date.UTC(2026, 5, 5), deadline_at: Date.UTC(2026, 5, 5) + 15 * MIN, acknowledged_at: Date.UTC(2026, 5, 5) + MIN, assigned_at: null, resolved_at: Date.UTC(2026, 5, 5) + 5 * MIN });
    await cdb.insertInto('alerts').values(rows).execute();
    await moveHousehold(cdb, 'v1a-h0', 'v2a', Date.UTC(2026, 6, 2));

    const tree = await treeAt(cdb, june.to - 1);
    const r = await responseByArea(cdb, tree, ['c1', 'c2', 'c3', 'p'], june.from, june.to, june.to);
    expect(r.get('c1')!.tips).toEqual({
      total: 11, takenUp: 10, takenUpPercent: 90.91, resolved: 9, resolvedPercent: 81.82,
      ackMedianMs: 5 * MIN, ackP90Ms: 9 * MIN, resolveMedianMs: 50 * MIN, resolveP90Ms: 90 * MIN, overdue: 5,
    });
    expect(r.get('c1')!.alerts).toMatchObject({ total: 1, takenUp: 1, resolved: 1, overdue: 0, ackMedianMs: MIN });
    expect(r.get('c2')!.alerts).toEqual({
      total: 3, takenUp: 2, takenUpPercent: 66.67, resolved: 1, resolvedPercent: 33.33,
      ackMedianMs: 2 * MIN, ackP90Ms: 30 * MIN, resolveMedianMs: 30 * MIN, resolveP90Ms: 30 * MIN, overdue: 3,
    });
    expect(r.get('c2')!.tips.total).toBe(0);
    expect(r.get('c3')!.tips).toMatchObject({ total: 0, takenUpPercent: null, ackMedianMs: null });
    expect(r.get('p')!.tips.total).toBe(11);
    expect(r.get('p')!.alerts.total).toBe(4);
  });

  it('counts a moved household where it lived at the time, and keeps a saved past snapshot unchanged', async () => {
    // moveHousehold ran in the test above (2 July); here the day before and the day after.
    const before = await householdCounts(cdb, Date.UTC(2026, 6, 1), 24 * H);
    const after = await householdCounts(cdb, NOW, 24 * H);
    expect(before.get('v1a')!.registered).toBe(1000);
    expect(before.get('v2a')!.registered).toBe(1200);
    expect(after.get('v1a')).toEqual({ registered: 999, covered: 159 });
    expect(after.get('v2a')).toEqual({ registered: 1201, covered: 131 });
    // A snapshot of June, taken then, is what a June report reads, whatever moved since.
    const june30 = Date.UTC(2026, 5, 30, 10);
    await saveSnapshot(cdb, { at: june30, tree: await treeAt(cdb, june30), figures: new Map([['v1a', { ...(await computeCoverage(cdb, settings, NOW)).figures.get('v1a')!, registered: 1000 }]]) });
    const snap = await snapshotBefore(cdb, 'v1a', parsePeriod('2026-06').to);
    expect(snap?.registered).toBe(1000);
    expect(snap?.at).toBe(june30);
  });

  it('refuses a move back in time or to an unknown area', async () => {
    await expect(moveHousehold(cdb, 'v1a-h0', 'v1a', Date.UTC(2026, 6, 1))).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_PAYLOAD_INVALID'));
    await expect(moveHousehold(cdb, 'v1a-h0', 'nowhere', NOW)).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_AREA_UNKNOWN'));
  });
});
