import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { isKhoaError } from '@khoa/protocol';
import { tempDir } from '../testing/databases.ts';
import { openDb, type Db } from '../storage/open.ts';
import { coverageDb, type CoverageDb } from '../storage/coverage-tables.ts';
import { validateSettings } from '../settings/load.ts';
import { writeSample } from './sample-data.ts';
import { computeCoverage } from './coverage.ts';
import { saveSnapshot } from './snapshots.ts';
import { buildReport } from './report.ts';
import { reportCsv } from './report-csv.ts';
import { reportHtml } from './report-html.ts';
import { htmlToPdf } from './report-pdf.ts';
import { moveHousehold } from './moves.ts';
import { importAreas } from './area-import.ts';
import { parseCsv } from './csv.ts';
import { recordRecognition, recordStanding } from './standings.ts';
import { writeClosedReports } from './scheduled-reports.ts';
import { createLogger } from '../log.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const H = 3600_000;
const settings = validateSettings({}).coverage;
/** 30 June 2026, 10:00 in Vietnam: the last snapshot of the first half. */
const JUNE30 = Date.UTC(2026, 5, 30, 3);
const NOW = Date.UTC(2026, 7, 10, 3);

describe('reports', () => {
  let db: Db;
  let cdb: CoverageDb;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    db = await openDb({ url: '', busyTimeoutMs: 5000 }, dir);
    cdb = coverageDb(db.kysely);
    await writeSample(cdb, {
      now: JUNE30,
      createdAt: Date.UTC(2025, 11, 1),
      areas: [
        { id: 'd', parentId: null, level: 'district', name: 'Huyện D' },
        { id: 'c1', parentId: 'd', level: 'commune', name: 'Xã C1', kind: 'rural', residentialAreas: [4, 4] },
        { id: 'c2', parentId: 'd', level: 'commune', name: 'Phường C2', kind: 'urban' },
        { id: 'v1', parentId: 'c1', level: 'village', name: 'Thôn 1', census: 400 },
        { id: 'v2', parentId: 'c1', level: 'village', name: 'Thôn 2', census: 100 },
        { id: 'v3', parentId: 'c2', level: 'village', name: 'Tổ 3', census: 200 },
      ],
      households: [
        { areaId: 'v1', cameras: [{ count: 60, ageMs: H }, { count: 20, ageMs: 30 * H }], without: 220 },
        { areaId: 'v2', cameras: [{ count: 10, ageMs: 23 * H }], without: 40 },
        { areaId: 'v3', cameras: [{ count: 120, ageMs: 2 * H }], without: 80 },
      ],
    });
    // The daily snapshot of 30 June, as the recorder would have taken it.
    await saveSnapshot(cdb, await computeCoverage(cdb, settings, JUNE30));
    await recordStanding(cdb, { areaId: 'c1', period: '2026-H1', class: 'phuc_tap', rating: 'kha', by: 'district' }, JUNE30);
    await recordRecognition(cdb, { areaId: 'v1', year: 2026, recognised: true, by: 'district' }, JUNE30);
    await recordRecognition(cdb, { areaId: 'v2', year: 2026, recognised: false, by: 'district' }, JUNE30);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a closed half year from its snapshot, and re-runs it unchanged after moves and renames', async () => {
    const first = await buildReport(cdb, settings, 'd', '2026-H1', NOW);
    expect(first.coverageSource).toBe('snapshot');
    expect(first.coverageAt).toBe(JUNE30);
    expect(first.area.coverage!.households).toMatchObject({ total: 700, covered: 190, percent: 27.14 });
    expect(first.children.map((c) => [c.areaId, c.coverage!.households.covered, c.coverage!.households.needed])).toEqual([['c1', 70, 30], ['c2', 120, 0]]);
    expect(first.children[0]!.standing).toEqual({ class: 'phuc_tap', rating: 'kha' });
    expect(first.children[0]!.recognition).toMatchObject({ assessed: 2, recognised: 1, percent: 50, targetPercent: 95, met: false });
    expect(first.trend.map((t) => t.month)).toEqual(['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06']);
    expect(first.trend.map((t) => t.percent)).toEqual([null, null, null, null, null, 27.14]);

    // July: a household moves, a village changes commune and name, frames move on.
    await moveHousehold(cdb, 'v1-h0', 'v3', Date.UTC(2026, 6, 3));
    await importAreas(cdb, 'id,parent_id,level,name\nv2,c2,village,Tổ 4\n', Date.UTC(2026, 6, 5));
    await cdb.updateTable('cameras').set({ last_frame_at: NOW - 100 * H }).execute();
    const again = await buildReport(cdb, settings, 'd', '2026-H1', NOW + 5 * H);
    expect({ ...again, generatedAt: 0 }).toEqual({ ...first, generatedAt: 0 });
  });

  it('reports the running month live', async () => {
    const r = await buildReport(cdb, settings, 'c2', '2026-08', NOW);
    expect(r.coverageSource).toBe('live');
    expect(r.cutoff).toBe(NOW);
    expect(r.children.map((c) => c.areaId)).toEqual(['v2', 'v3']);
    expect(r.area.coverage!.households.covered).toBe(0);
    await expect(buildReport(cdb, settings, 'c2', '2027-Q1', NOW)).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_PAYLOAD_INVALID'));
    await expect(buildReport(cdb, settings, 'nowhere', '2026-H1', NOW)).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_AREA_UNKNOWN'));
  });

  it('writes the report as CSV, printable HTML and a real PDF', async () => {
    const r = await buildReport(cdb, settings, 'd', '2026-H1', NOW);
    const csv = reportCsv(r);
    const table = parseCsv(csv);
    expect(table).toHaveLength(4);
    expect(table[0]!.fields[0]).toBe('Kỳ báo cáo');
    expect(table[1]!.fields.slice(0, 8)).toEqual(['2026-H1', 'd', 'Huyện D', 'district', '700', '190', '27.14', '30']);
    expect(table[2]!.fields).toContain('phức tạp về ANTT');
    const html = reportHtml(r);
    expect(html).toContain('Huyện D');
    expect(html).not.toMatch(/<img|<video|<canvas|v1-h\d/);
    const pdf = await htmlToPdf(html);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1')).toMatch(/\/Type\s*\/Page[^s]/);
  }, 90_000);

  it('writes the reports of the periods that just closed once, on schedule', async () => {
    const out = join(dir, 'reports');
    const log = createLogger('silent');
    expect(await writeClosedReports(cdb, settings, out, NOW, log)).toBe(4);
    for (const p of ['2026-07', '2026-Q2', '2026-H1', '2025']) expect(existsSync(join(out, 'd', `${p}.html`))).toBe(true);
    expect(readFileSync(join(out, 'd', '2026-H1.csv'), 'utf8')).toBe(reportCsv(await buildReport(cdb, settings, 'd', '2026-H1', NOW)));
    expect(await writeClosedReports(cdb, settings, out, NOW + 3600_000, log)).toBe(0);
  });
});
