import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestHub, type TestHub } from '../hub/src/testing/harness.ts';
import { consoleDb } from '../hub/src/storage/console-tables.ts';
import { coverageDb } from '../hub/src/storage/coverage-tables.ts';
import { setPasswordHash } from '../hub/src/storage/users.ts';
import { createUser, hashPassword } from '../hub/src/accounts/index.ts';
import { writeSample } from '../hub/src/coverage/sample-data.ts';
import { parseCsv } from '../hub/src/coverage/csv.ts';
import type { Report } from '../hub/src/coverage/report.ts';
import { ApiClient, PASSWORD } from './console-fixture.ts';
import { launchChromium, loginThroughPage } from './console-browser.ts';

const H = 3600_000;
let t: TestHub;
let browser: Browser;
const year = new Date(Date.now() + 7 * H).toISOString().slice(0, 4);

/**
 * A real hub with a generated province: district → three communes (one urban, two rural,
 * one of them empty) → villages, 2,400 households with cameras fresh, stale or absent.
 * An official of the province uses the dashboard in Chromium.
 */
beforeAll(async () => {
  t = await startTestHub();
  const db = coverageDb(t.hub.db.kysely);
  const now = Date.now();
  await writeSample(db, {
    now,
    createdAt: now - 30 * 24 * H,
    areas: [
      { id: 'tinh', parentId: null, level: 'province', name: 'Tỉnh Bắc Giang' },
      { id: 'huyen', parentId: 'tinh', level: 'district', name: 'Huyện Lục Ngạn' },
      { id: 'chu', parentId: 'huyen', level: 'commune', name: 'Thị trấn Chũ', kind: 'urban' },
      { id: 'phuong-son', parentId: 'huyen', level: 'commune', name: 'Xã Phượng Sơn', kind: 'rural' },
      { id: 'quy-son', parentId: 'huyen', level: 'commune', name: 'Xã Quý Sơn', kind: 'rural' },
      { id: 'chu-1', parentId: 'chu', level: 'village', name: 'Tổ dân phố 1', census: 900 },
      { id: 'chu-2', parentId: 'chu', level: 'village', name: 'Tổ dân phố 2', census: 600 },
      { id: 'ps-1', parentId: 'phuong-son', level: 'village', name: 'Thôn Đồng Mậm', census: 1500 },
    ],
    households: [
      { areaId: 'chu-1', cameras: [{ count: 500, ageMs: H }, { count: 50, ageMs: 25 * H }], without: 250 },
      { areaId: 'chu-2', cameras: [{ count: 100, ageMs: 23 * H }], without: 400 },
      { areaId: 'ps-1', cameras: [{ count: 150, ageMs: 2 * H }, { count: 100, ageMs: 72 * H }], without: 850 },
    ],
  });
  const cdb = consoleDb(t.hub.db.kysely);
  const hash = await hashPassword(PASSWORD);
  for (const a of [{ username: 'quan.huyen', role: 'official', areaId: 'tinh' }, { username: 'ca.quyson', role: 'officer', areaId: 'quy-son' }, { username: 'qt.huyen', role: 'admin', areaId: 'huyen' }] as const) {
    const { user } = await createUser(cdb, a);
    await setPasswordHash(cdb, user.id, hash);
  }
  // Three tips in Thị trấn Chũ this hour: taken up after 2, 4 and 6 minutes.
  const base = now - H;
  await cdb
    .insertInto('alerts')
    .values([2, 4, 6].map((m, i) => ({
      kind: 'tip', status: 'acknowledged', severity: 'high', household_id: `chu-1-h${i}`, device_id: null, subject: `t${i}`, source_event_id: null, snapshot_path: null, detail: null,
      created_at: base + i * 1000, deadline_at: base + 2 * H, acknowledged_at: base + i * 1000 + m * 60_000, acknowledged_by: 'police', assigned_at: null, assigned_by: null, assigned_to: null, resolved_at: null, resolved_by: null,
    })))
    .execute();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('district dashboard in Chromium', { timeout: 60_000 }, () => {
  it('an official sees the communes, drills down to villages, downloads the report whose numbers match the API, and never an image', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    const images: string[] = [];
    page.on('request', (r) => {
      if (['image', 'media'].includes(r.resourceType())) images.push(r.url());
    });
    await loginThroughPage(page, t.http, 'quan.huyen', '/stats.html');
    await page.goto(`${t.http}/district.html?area=huyen&period=${year}`);
    const rows = page.locator('#district-table tbody tr');
    await rows.first().waitFor({ timeout: 15_000 });
    expect(await rows.count()).toBe(3);
    // Sorted by coverage, highest first: Chũ 600/1500 = 40 %, Phượng Sơn 150/1500 = 10 %, Quý Sơn empty.
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.area))).toEqual(['chu', 'phuong-son', 'quy-son']);
    const chu = page.locator('#district-table tr[data-area=chu] td');
    expect(await chu.allTextContents()).toEqual(expect.arrayContaining(['Thị trấn Chũ', '1.500', '600', '40 %', '50 %', '151', '3']));
    await expect.poll(() => page.locator('#chart-coverage svg rect').count()).toBe(3);

    // Sorted by name (Vietnamese collation), then the other way round.
    await page.click('#district-table th button[data-sort=name]');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.area))).toEqual(['chu', 'phuong-son', 'quy-son']);
    await page.click('#district-table th button[data-sort=name]');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.area))).toEqual(['quy-son', 'phuong-son', 'chu']);
    expect(await page.locator('#district-table th[aria-sort=descending] button').textContent()).toBe('Đơn vị');

    // Drill down into the urban commune: its two villages.
    await page.click('#district-table tr[data-area=chu] button.drill');
    await page.waitForURL('**area=chu**');
    await page.locator('#district-table tr[data-area=chu-2]').waitFor({ timeout: 15_000 });
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.area)).then((a) => a.sort())).toEqual(['chu-1', 'chu-2']);
    expect(await page.locator('#district-table tr[data-area=chu-2] td').allTextContents()).toEqual(expect.arrayContaining(['Tổ dân phố 2', '600', '100', '16,67 %']));
    await expect.poll(() => page.locator('.crumbs').textContent()).toContain('Huyện Lục Ngạn');

    // Back up through the breadcrumb to the district and download its CSV report.
    await page.click('.crumbs button:has-text("Huyện Lục Ngạn")');
    await page.locator('#district-table tr[data-area=quy-son]').waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
    const api = new ApiClient(t.http);
    expect((await api.login('quan.huyen')).ok).toBe(true);
    const report = (await (await api.get(`/api/district/areas/huyen?period=${year}`)).json()) as Report;
    for (const row of [report.area, ...report.children]) {
      const line = csv.find((l) => l.fields[1] === row.areaId)!.fields;
      expect(line.slice(4, 8).map((v) => (v === '' ? null : Number(v)))).toEqual([row.coverage!.households.total, row.coverage!.households.covered, row.coverage!.households.percent, row.coverage!.households.needed]);
    }
    expect(report.children.find((c) => c.areaId === 'chu')!.response.tips).toMatchObject({ total: 3, takenUp: 3, ackMedianMs: 4 * 60_000, ackP90Ms: 6 * 60_000 });

    // The official records Chũ's class and rating for the year; the table shows them.
    await page.selectOption('#assess-area', 'chu');
    await page.selectOption('#assess-class', 'phuc_tap');
    await page.selectOption('#assess-rating', 'kha');
    await page.check('#assess-recognised');
    await page.click('#assess-form button[type=submit]');
    await expect.poll(() => page.locator('#district-table tr[data-area=chu] td').allTextContents()).toEqual(expect.arrayContaining(['Phức tạp', 'Khá', '100 %']));

    // Nothing on the page or in the API names a household or shows an image.
    expect(images).toEqual([]);
    expect(await page.locator('img, video, canvas, picture').count()).toBe(0);
    expect(await page.content()).not.toMatch(/chu-1-h\d/);
    expect(JSON.stringify(report)).not.toMatch(/-h\d|address|snapshot_path/);
    if (process.env.KHOA_SCREENSHOT) await page.screenshot({ path: process.env.KHOA_SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('serves the report as a real PDF, and keeps other areas and officers out', async () => {
    const api = new ApiClient(t.http);
    expect((await api.login('quan.huyen')).ok).toBe(true);
    const pdf = await api.get(`/api/district/areas/huyen/report/pdf?period=${year}`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.toString('latin1')).toMatch(/\/Type\s*\/Page[^s]/);
    expect((await api.get('/api/district/areas/huyen?period=2026-H3')).status).toBe(400);
    expect((await api.get('/api/district/areas/nowhere')).status).toBe(404);
    expect((await api.post('/api/district/areas/chu/standing', { period: `${year}-H1`, class: 'phuc_tap', rating: 'tot' })).status).toBe(200);
    expect((await api.post('/api/district/areas/chu/standing', { period: `${year}-H1`, class: 'bad', rating: 'tot' })).status).toBe(400);
    // A commune officer reads its own commune only, and records no standing.
    const officer = new ApiClient(t.http);
    expect((await officer.login('ca.quyson')).ok).toBe(true);
    expect((await officer.get(`/api/district/areas/quy-son?period=${year}`)).status).toBe(200);
    expect((await officer.get(`/api/district/areas/huyen?period=${year}`)).status).toBe(404);
    expect((await officer.post('/api/district/areas/quy-son/standing', { period: `${year}-H1`, class: 'phuc_tap', rating: 'tot' })).status).toBe(403);
    // An administrator of the district imports a new village from CSV; a bad file changes nothing.
    const admin = new ApiClient(t.http);
    expect((await admin.login('qt.huyen')).ok).toBe(true);
    const csv = (body: string) => admin.req('POST', '/api/district/areas/import', body, { 'content-type': 'text/csv' });
    const bad = await csv('id,parent_id,level,name,kind,households\nqs-1,quy-son,village,Thôn Mới,,12x\n');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { context: { errors: unknown[] } }).context.errors).toEqual([{ row: 2, column: 'households', reason: 'expected a whole number 0–100000000, got "12x"' }]);
    expect((await csv('id,parent_id,level,name\ntinh2,,province,Elsewhere\n')).status).toBe(403);
    expect((await csv('id,parent_id,level,name\ntinh,,province,Renamed\n')).status).toBe(403);
    const ok = await csv('id,parent_id,level,name,kind,households\nqs-1,quy-son,village,Thôn Mới,,120\n');
    expect(await ok.json()).toEqual({ added: 1, changed: 0, unchanged: 0 });
    const qs = (await (await admin.get(`/api/district/areas/quy-son?period=${year}`)).json()) as Report;
    expect(qs.area.coverage!.rural).toMatchObject({ total: 120, covered: 0, needed: 24 });
    expect((await officer.post('/api/district/areas/import', 'x')).status).toBe(403);
    expect(await (await api.get('/api/district/roots')).json()).toEqual([{ id: 'tinh', name: 'Tỉnh Bắc Giang', level: 'province' }]);
    const anon = new ApiClient(t.http);
    expect((await anon.get('/api/district/areas/huyen')).status).toBe(401);
  });

  it('an administrator uploads area data: a bad file lists its rows and changes nothing, a good one shows up', async () => {
    const page = await browser.newPage();
    await loginThroughPage(page, t.http, 'qt.huyen', '/audit.html');
    await page.goto(`${t.http}/district.html?area=huyen&period=${year}`);
    await page.locator('#import-form').waitFor({ timeout: 15_000 });
    const upload = async (text: string) => {
      await page.setInputFiles('#import-file', { name: 'areas.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
      await page.click('#import-form button[type=submit]');
    };
    await upload('id,parent_id,level,name,kind\nqs-9,quy-son,village,Thôn 9,town\nqs-10,,village,,rural\n');
    await expect.poll(() => page.locator('#import-result li').allTextContents()).toEqual([
      'Dòng 2, cột kind: expected urban, rural or empty, got "town"',
      'Dòng 3, cột name: expected 1 to 200 characters',
    ]);
    await upload('id,parent_id,level,name,kind,households\nqs-9,quy-son,village,Thôn 9,,80\n');
    await expect.poll(() => page.locator('#import-result .notice').textContent()).toBe('Đã nhập: thêm 1, sửa 0, không đổi 0.');
    await page.click('#district-table tr[data-area=quy-son] button.drill', { timeout: 15_000 });
    await page.locator('#district-table tr[data-area=qs-9]').waitFor({ timeout: 15_000 });
    await page.close();
  });
});
