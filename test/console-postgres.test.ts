import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../hub/src/testing/databases.ts';
import { expireSnapshots } from '../hub/src/storage/snapshot-retention.ts';
import { ApiClient, insertBulkAlerts, startConsoleFixture, type ConsoleFixture } from './console-fixture.ts';

/** The console's storage on PostgreSQL (the province mode): same routes, same answers as on SQLite. */
const pg = dbTargets.find((d) => d.name === 'postgres')!;
let f: ConsoleFixture;
const as: Record<string, ApiClient> = {};

beforeAll(async () => {
  f = await startConsoleFixture({}, pg);
  for (const u of ['police.a', 'police.b', 'district', 'nha.a']) {
    as[u] = new ApiClient(f.base);
    expect((await as[u]!.login(u)).status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('console API on PostgreSQL', () => {
  it('scopes, pages, runs the workflow, takes tips and summarises', async () => {
    await insertBulkAlerts(f.db, 450, 'ho-a');
    const raised = await f.t.hub.raise({ kind: 'door_forced', householdId: 'ho-a', deviceId: null, subject: 'front' });
    const seen = new Set<number>();
    let cursor: string | null = null;
    do {
      const page = (await (await as['police.a']!.get(`/api/alerts?status=all&limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { items: Array<{ id: number }>; next: string | null };
      for (const a of page.items) seen.add(a.id);
      cursor = page.next;
    } while (cursor);
    expect(seen.size).toBe(451);
    expect((await as['police.b']!.get(`/api/alerts/${raised!.id}`)).status).toBe(404);
    expect((await (await as['police.a']!.get('/api/alerts?q=dong%20mam&limit=3')).json()).items).toHaveLength(3);

    expect((await as['police.a']!.post(`/api/alerts/${raised!.id}/acknowledge`, {})).status).toBe(200);
    expect((await as['police.a']!.post(`/api/alerts/${raised!.id}/acknowledge`, {})).status).toBe(409);
    expect((await as['police.a']!.post(`/api/alerts/${raised!.id}/notes`, { text: 'ghi chú' })).status).toBe(200);
    expect((await as['police.a']!.post(`/api/alerts/${raised!.id}/resolve`, { note: 'xong' })).status).toBe(200);

    const jpeg = readFileSync(join(import.meta.dirname, 'fixtures/media/home.jpg')).toString('base64');
    const tip = await (await as['nha.a']!.post('/api/tips', { text: 'Người lạ hỏi đường vào xóm', photo: { type: 'image/jpeg', data: jpeg } })).json();
    const photo = await as['police.a']!.get(`/api/alerts/${tip.alertId}/tip-photo`);
    expect(photo.status).toBe(200);
    expect(Buffer.from(await photo.arrayBuffer()).equals(Buffer.from(jpeg, 'base64'))).toBe(true);

    const answers = { main_door_lock_sound: true, gate_locked_at_night: true, windows_have_bars_or_locks: true, spare_key_kept_safe: true, valuables_out_of_sight: true, vehicle_locked_inside: true, lighting_at_entrance: true, knows_police_hotline: false };
    expect((await as['police.a']!.post('/api/survey', { householdId: 'ho-a', quarter: '2026-Q4', answers })).status).toBe(200);
    expect((await (await as['district']!.get('/api/survey/summary?quarter=2026-Q4')).json()).items.find((v: { areaId: string }) => v.areaId === 'thon-a')).toMatchObject({ surveyed: 1, passed: 0 });
    const stats = await (await as['district']!.get('/api/stats')).json();
    expect(stats).toMatchObject({ households: 2, householdsWithDevices: 0 });
    expect(stats.tipsTakenUp).toBeLessThanOrEqual(stats.tips);
    expect(stats.tips).toBeGreaterThan(1);
    expect((await as['police.a']!.post('/api/advisories', { areaId: 'xa-a', title: 'Tin', body: 'Nội dung' })).status).toBe(201);
    expect((await (await as['nha.a']!.get('/api/advisories')).json()).items).toHaveLength(1);
    expect(await (await as['nha.a']!.post('/api/household/delete-data', { confirm: 'ho-a' })).json()).toMatchObject({ events: 0 });
    expect(await expireSnapshots(f.db, f.t.hub.settings.dataDir, Date.now())).toBe(0);
  });
});
