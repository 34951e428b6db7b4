import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, PASSWORD, insertBulkAlerts, startConsoleFixture, type ConsoleFixture } from './console-fixture.ts';
import { expireSnapshots } from '../hub/src/storage/snapshot-retention.ts';
import SqliteDatabase from 'better-sqlite3';
import { parseFacts } from '@khoa/protocol';

let f: ConsoleFixture;
const as: Record<string, ApiClient> = {};
let alertA = 0;
let alertB = 0;
let snapA = '';

beforeAll(async () => {
  f = await startConsoleFixture();
  for (const u of ['police.a', 'police.b', 'district', 'admin', 'nha.a', 'nha.b']) {
    as[u] = new ApiClient(f.base);
    expect((await as[u]!.login(u)).status).toBe(200);
  }
  const dir = join(f.t.hub.settings.dataDir, 'snapshots');
  mkdirSync(dir, { recursive: true });
  snapA = join(dir, 'a.jpg');
  writeFileSync(snapA, readFileSync(join(import.meta.dirname, 'fixtures/media/home.jpg')));
  alertA = Number((await f.t.hub.raise({ kind: 'person', householdId: 'ho-a', deviceId: null, subject: 'cam1', snapshotPath: 'snapshots/a.jpg' }))!.id);
  alertB = Number((await f.t.hub.raise({ kind: 'door_forced', householdId: 'ho-b', deviceId: null, subject: 'front' }))!.id);
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('sessions and their protections', () => {
  it('sets HttpOnly SameSite=Strict cookies, reads the session, logs out', async () => {
    const c = new ApiClient(f.base);
    const r = await c.login('police.a');
    const setCookie = r.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/khoa_session=[A-Za-z0-9_-]{43}; .*HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // The cookie lives as long as the session may (7 days); the database enforces the idle limit.
    const expires = Date.parse(/khoa_session=[^;]+;.*?Expires=([^;]+)/.exec(setCookie)![1]!);
    expect(expires - Date.now()).toBeGreaterThan(6 * 86_400_000);
    // Only a hash of the token is in the database.
    const token = c.cookies.get('khoa_session')!;
    expect(await f.db.selectFrom('sessions').select('token_hash').where('token_hash', '=', token).executeTakeFirst()).toBeUndefined();
    expect(await (await c.get('/api/session')).json()).toMatchObject({ username: 'police.a', role: 'officer', areaId: 'xa-a', areaName: 'Xã Phượng Sơn' });
    expect((await c.post('/api/logout')).status).toBe(200);
    expect((await c.get('/api/session')).status).toBe(401);
  });

  it('marks the cookies Secure when the page came over HTTPS (a TLS proxy says so), not over plain HTTP where the browser would drop them', async () => {
    const plain = await new ApiClient(f.base).post('/api/login', { username: 'police.a', password: PASSWORD });
    expect(plain.status).toBe(200);
    expect(plain.headers.getSetCookie().join('\n')).not.toMatch(/Secure/i);
    const proxied = await new ApiClient(f.base).post('/api/login', { username: 'police.a', password: PASSWORD }, { 'x-forwarded-proto': 'https' });
    expect(proxied.status).toBe(200);
    const cookies = proxied.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const c of cookies) expect(c).toMatch(/; Secure/);
  });

  it('answers 503 with a code when another program holds the database, and the same click works after', async () => {
    // Another process's write lock (a backup tool, the sqlite3 shell): the hub waits
    // db.hubBusyTimeoutMs (0.25 s), not its CLI's 5 s, so the page is not frozen meanwhile.
    const other = new SqliteDatabase(join(f.t.hub.settings.dataDir, 'khoa.sqlite'));
    const c = as['police.a']!;
    const url = `/api/alerts/${alertA}/notes`;
    try {
      other.exec('begin exclusive');
      const busy = await c.post(url, { text: 'ghi chú khi cơ sở dữ liệu bận' });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(await busy.json()).toMatchObject({ code: 'KHOA_ERR_STORAGE_BUSY', context: { retryAfterS: 1 } });
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
    }
    expect((await c.post(url, { text: 'ghi chú khi cơ sở dữ liệu bận' })).status).toBe(200);
  });

  it('refuses changes without the CSRF token, with a wrong one, or from another origin', async () => {
    const c = as['police.a']!;
    const url = `/api/alerts/${alertA}/notes`;
    const body = { text: 'x' };
    const noToken = await c.post(url, body, { 'x-khoa-csrf': '' });
    expect(noToken.status).toBe(403);
    expect((await noToken.json()).context).toMatchObject({ reason: 'csrf' });
    expect((await c.post(url, body, { 'x-khoa-csrf': 'A'.repeat(43) })).status).toBe(403);
    expect((await c.post(url, body, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await c.post('/api/login', { username: 'police.a', password: PASSWORD }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await c.post(url, body)).status).toBe(200);
  });

  it('limits failed logins per account, even with the right password afterwards', async () => {
    const c = new ApiClient(f.base);
    for (let i = 0; i < 5; i++) expect((await c.login('police.a3', 'wrong password')).status).toBe(401);
    const locked = await c.login('police.a3');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBeTruthy();
    // Unknown users answer exactly like wrong passwords.
    const unknown = await c.login('nobody', 'whatever');
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).code).toBe('KHOA_ERR_HTTP_UNAUTHENTICATED');
  });

  it('changes the password: the old one stops working, other sessions end', async () => {
    const a = new ApiClient(f.base);
    const b = new ApiClient(f.base);
    await a.login('nha.b');
    await b.login('nha.b');
    expect((await a.post('/api/password', { currentPassword: 'nope', newPassword: 'another long password' })).status).toBe(403);
    expect((await a.post('/api/password', { currentPassword: PASSWORD, newPassword: 'short' })).status).toBe(400);
    expect((await a.post('/api/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })).status).toBe(200);
    expect((await a.get('/api/session')).status).toBe(200);
    expect((await b.get('/api/session')).status).toBe(401);
    expect((await new ApiClient(f.base).login('nha.b')).status).toBe(401);
    expect((await new ApiClient(f.base).login('nha.b', 'a brand new passphrase')).status).toBe(200);
    as['nha.b'] = a;
  });
});

describe('authorisation on every route', () => {
  it('answers 401 to anonymous calls', async () => {
    const anon = new ApiClient(f.base);
    for (const path of ['/api/session', '/api/alerts', `/api/alerts/${alertA}`, `/api/alerts/${alertA}/snapshot`, '/api/alerts/stream', '/api/household', '/api/advisories', '/api/audit', '/api/stats']) {
      expect((await anon.get(path)).status, path).toBe(401);
    }
    expect((await anon.get('/api/no-such-route')).status).toBe(404);
  });

  it('refuses every role a route does not list, on every route of the API description', async () => {
    const doc = await (await fetch(`${f.base}/api/openapi.json`)).json();
    const accounts: Record<string, string> = { officer: 'police.a', official: 'district', admin: 'admin', household: 'nha.a' };
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { 'x-khoa-roles': string[] | 'public' }>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const roles = op['x-khoa-roles'];
        if (roles === 'public' || path === '/api/logout') continue;
        const url = path.replace('{id}', String(alertA));
        const anon = await new ApiClient(f.base).req(method.toUpperCase(), url, method === 'get' ? undefined : {});
        expect(anon.status, `anonymous ${method} ${url}`).toBe(401);
        // Another commune's id: as if it did not exist.
        if (path.includes('{id}') && roles.includes('officer')) {
          const other = await as['police.b']!.req(method.toUpperCase(), url, method === 'get' ? undefined : path.endsWith('/assign') ? { officer: 'police.b' } : path.endsWith('/notes') ? { text: 'x' } : {});
          expect(other.status, `police.b ${method} ${url}`).toBe(404);
        }
        for (const [role, user] of Object.entries(accounts)) {
          if (roles.includes(role)) continue;
          const r = await as[user]!.req(method.toUpperCase(), url, method === 'get' ? undefined : {});
          expect(r.status, `${role} ${method} ${url}`).toBe(403);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('an officer of commune B can reach nothing of commune A', async () => {
    const b = as['police.b']!;
    const cases: Array<[string, string, unknown?]> = [
      ['GET', `/api/alerts/${alertA}`],
      ['GET', `/api/alerts/${alertA}/snapshot`],
      ['GET', `/api/alerts/${alertA}/tip-photo`],
      ['POST', `/api/alerts/${alertA}/acknowledge`, {}],
      ['POST', `/api/alerts/${alertA}/assign`, { officer: 'police.b' }],
      ['POST', `/api/alerts/${alertA}/resolve`, {}],
      ['POST', `/api/alerts/${alertA}/false-alarm`, {}],
      ['POST', `/api/alerts/${alertA}/notes`, { text: 'peek' }],
      ['POST', '/api/survey', { householdId: 'ho-a', quarter: '2026-Q4', answers: answers(true) }],
    ];
    for (const [method, path, body] of cases) expect((await b.req(method, path, body)).status, `${method} ${path}`).toBe(404);
    expect((await b.post('/api/advisories', { areaId: 'xa-a', title: 't', body: 'b' })).status).toBe(403);
    const list = (await (await b.get('/api/alerts?status=all')).json()) as { items: Array<{ id: number; householdId: string }> };
    expect(list.items.map((a) => a.householdId)).not.toContain('ho-a');
    expect(list.items.map((a) => a.id)).toContain(alertB);
    // …and the A officer cannot assign A's alert to B's officer.
    expect((await as['police.a']!.post(`/api/alerts/${alertA}/assign`, { officer: 'police.b' })).status).toBe(400);
  });

  it('officials get aggregates only: no alert, no image', async () => {
    const d = as['district']!;
    expect((await d.get('/api/alerts')).status).toBe(403);
    expect((await d.get(`/api/alerts/${alertA}`)).status).toBe(403);
    expect((await d.get(`/api/alerts/${alertA}/snapshot`)).status).toBe(403);
    expect((await d.get('/api/alerts/stream')).status).toBe(403);
    const s = await (await d.get('/api/stats')).json();
    expect(s).toMatchObject({ households: 2, householdsWithDevices: 0 });
    expect(JSON.stringify(s)).not.toMatch(/ho-a|thôn|Số 12/i);
  });

  it('households see only their own', async () => {
    const a = as['nha.a']!;
    expect((await a.get('/api/alerts')).status).toBe(403);
    expect((await a.get(`/api/alerts/${alertB}/snapshot`)).status).toBe(404);
    expect((await a.get(`/api/alerts/${alertA}/snapshot`)).status).toBe(200);
    const own = (await (await a.get('/api/household/alerts')).json()) as { items: Array<{ householdId: string }> };
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((x) => x.householdId === 'ho-a')).toBe(true);
    expect((await as['police.a']!.get('/api/household')).status).toBe(403);
  });
});

describe('bad input', () => {
  it('refuses missing fields, wrong types, unknown fields, bad ids and huge bodies with coded errors', async () => {
    const c = as['police.a']!;
    const bad: Array<[string, unknown]> = [
      [`/api/alerts/${alertA}/notes`, {}],
      [`/api/alerts/${alertA}/notes`, { text: 42 }],
      [`/api/alerts/${alertA}/notes`, { text: 'ok', extra: 1 }],
      [`/api/alerts/${alertA}/assign`, { officer: '../../etc' }],
      ['/api/alerts/abc/acknowledge', {}],
      ['/api/alerts/0/acknowledge', {}],
    ];
    for (const [path, body] of bad) {
      const r = await c.post(path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect((await r.json()).code).toBe('KHOA_ERR_HTTP_BAD_REQUEST');
    }
    const huge = await c.post(`/api/alerts/${alertA}/notes`, { text: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect((await c.post('/api/login', 'username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(400);
    expect((await c.get('/api/alerts?limit=abc')).status).toBe(400);
    expect((await c.get('/api/alerts?kind=meteor')).status).toBe(400);
    expect((await c.get('/api/alerts/999999')).status).toBe(404);
  });
});

describe('alert workflow', () => {
  it('follows ALERT_TRANSITIONS, records who and when, and answers 409 to a conflicting step', async () => {
    const c = as['police.a']!;
    const id = Number((await f.t.hub.raise({ kind: 'tamper', householdId: 'ho-a', deviceId: null, subject: 'w1' }))!.id);
    const ack = await (await c.post(`/api/alerts/${id}/acknowledge`, {})).json();
    expect(ack).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'police.a' });
    expect((await c.post(`/api/alerts/${id}/acknowledge`, {})).status).toBe(409);
    expect(await (await c.post(`/api/alerts/${id}/assign`, { officer: 'police.a2', note: 'gần nhà' })).json()).toMatchObject({ status: 'assigned', assignedTo: 'police.a2', assignedBy: 'police.a' });
    expect((await c.post(`/api/alerts/${id}/notes`, { text: 'đang đến' })).status).toBe(200);
    const other0 = new ApiClient(f.base);
    await other0.login('police.a2');
    const mine = (await (await other0.get('/api/alerts?mine=1')).json()) as { items: Array<{ id: number; assignedTo: string }> };
    expect(mine.items.map((a) => a.id)).toEqual([id]);
    expect((await (await c.get('/api/alerts?mine=1')).json()).items).toHaveLength(0);
    // Two officers resolve at once: exactly one wins.
    const other = new ApiClient(f.base);
    await other.login('police.a2');
    const [r1, r2] = await Promise.all([c.post(`/api/alerts/${id}/resolve`, {}), other.post(`/api/alerts/${id}/false-alarm`, {})]);
    expect([r1.status, r2.status].sort()).toEqual([200, 409]);
    expect((await c.post(`/api/alerts/${id}/assign`, { officer: 'police.a' })).status).toBe(409);
    const d = await (await c.get(`/api/alerts/${id}`)).json();
    expect(d.history.map((h: { toStatus: string }) => h.toStatus).slice(0, 3)).toEqual(['new', 'acknowledged', 'assigned']);
    expect(d.notes[0]).toMatchObject({ by: 'police.a', text: 'đang đến' });
    expect(d.alert.resolvedAt).toBeGreaterThan(0);
  });

  it('flags overdue alerts and filters them', async () => {
    const id = Number((await f.t.hub.raise({ kind: 'jammed', householdId: 'ho-a', deviceId: null, subject: 'old' }))!.id);
    await f.db.updateTable('alerts').set({ deadline_at: Date.now() - 1000 }).where('id', '=', id).execute();
    const r = (await (await as['police.a']!.get('/api/alerts?overdue=1')).json()) as { items: Array<{ id: number; overdue: boolean }> };
    expect(r.items.map((x) => x.id)).toContain(id);
    expect(r.items.every((x) => x.overdue)).toBe(true);
  });

  it('pages past 2,000 alerts with keyset cursors, newest first, each alert once', async () => {
    await insertBulkAlerts(f.db, 2100, 'ho-a');
    const expected = Number((await f.db.selectFrom('alerts').innerJoin('households', 'households.id', 'alerts.household_id').select((eb) => eb.fn.countAll<number>().as('n')).where('households.area_id', '=', 'thon-a').executeTakeFirstOrThrow()).n);
    expect(expected).toBeGreaterThan(2000);
    const seen = new Set<number>();
    let cursor: string | null = null;
    let prev = Infinity;
    let pages = 0;
    const times: number[] = [];
    do {
      const t0 = performance.now();
      const page = (await (await as['police.a']!.get(`/api/alerts?status=all&limit=200${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { items: Array<{ id: number; createdAt: number }>; next: string | null };
      times.push(performance.now() - t0);
      for (const a of page.items) {
        expect(seen.has(a.id)).toBe(false);
        expect(a.createdAt).toBeLessThanOrEqual(prev);
        prev = a.createdAt;
        seen.add(a.id);
      }
      cursor = page.next;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(expected);
    expect(pages).toBeGreaterThan(5);
    // Search: the address of household A.
    const found = (await (await as['police.a']!.get('/api/alerts?status=all&q=%C4%91%E1%BB%93ng%20m%E1%BA%ADm&limit=5')).json()) as { items: Array<{ householdId: string }> };
    expect(found.items.length).toBe(5);
    const folded = (await (await as['police.a']!.get('/api/alerts?status=all&q=dong%20mam&limit=5')).json()) as { items: unknown[] };
    expect(folded.items.length).toBe(5);
    const notFound = (await (await as['police.a']!.get('/api/alerts?status=all&q=100%25')).json()) as { items: unknown[] };
    expect(notFound.items).toHaveLength(0);
    console.log(JSON.stringify({ figure: 'alert_page_ms_p95', alerts: expected, value: times.sort((a, b) => a - b)[Math.floor(times.length * 0.95)] }));
  });
});

function answers(v: boolean) {
  return { main_door_lock_sound: v, gate_locked_at_night: v, windows_have_bars_or_locks: v, spare_key_kept_safe: v, valuables_out_of_sight: v, vehicle_locked_inside: v, lighting_at_entrance: v, knows_police_hotline: v };
}

describe('tips, SOS, advisories, survey, audit, retention', () => {
  it('takes a tip with a photo as an alert police can work, and limits tips per hour', async () => {
    const a = as['nha.a']!;
    const jpeg = readFileSync(join(import.meta.dirname, 'fixtures/media/home.jpg')).toString('base64');
    const r = await a.post('/api/tips', { text: 'Có xe máy lạ đỗ trước ngõ từ 2 giờ sáng', photo: { type: 'image/jpeg', data: jpeg } });
    expect(r.status).toBe(201);
    const { alertId } = await r.json();
    const d = await (await as['police.a']!.get(`/api/alerts/${alertId}`)).json();
    expect(d.alert).toMatchObject({ kind: 'tip', status: 'new', householdId: 'ho-a' });
    expect(d.tip).toMatchObject({ text: 'Có xe máy lạ đỗ trước ngõ từ 2 giờ sáng', hasPhoto: true });
    const photo = await as['police.a']!.get(`/api/alerts/${alertId}/tip-photo`);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    // A "PNG" that is not one, and text too short.
    expect((await a.post('/api/tips', { text: 'abc def', photo: { type: 'image/png', data: jpeg.slice(0, 400) } })).status).toBe(400);
    expect((await a.post('/api/tips', { text: 'x' })).status).toBe(400);
    for (let i = 0; i < 4; i++) expect((await a.post('/api/tips', { text: `tin báo số ${i}` })).status).toBe(201);
    expect((await a.post('/api/tips', { text: 'một tin nữa' })).status).toBe(429);
  });

  it('raises an SOS from the household page', async () => {
    const r = await as['nha.a']!.post('/api/sos', {});
    expect(r.status).toBe(201);
    const { alertId } = await r.json();
    const d = await (await as['police.a']!.get(`/api/alerts/${alertId}`)).json();
    expect(d).toMatchObject({ alert: { kind: 'sos', severity: 'critical' } });
    // Facts, which the console words in the officer's language (facts.sos.household_page).
    expect(parseFacts(d.alert.detail)).toEqual({ via: 'household_page', user: 'nha.a' });
  });

  it('publishes advisories to the area and shows them to its households only', async () => {
    const r = await as['police.a']!.post('/api/advisories', { areaId: 'xa-a', title: 'Cảnh giác trộm chó', body: 'Đêm nay tăng cường tuần tra, bà con khóa cổng.' });
    expect(r.status).toBe(201);
    const mine = await (await as['nha.a']!.get('/api/advisories')).json();
    expect(mine.items.map((x: { title: string }) => x.title)).toContain('Cảnh giác trộm chó');
    const other = await (await as['nha.b']!.get('/api/advisories')).json();
    expect(other.items).toHaveLength(0);
  });

  it('stores a survey per household and quarter and summarises it per village', async () => {
    const c = as['police.a']!;
    expect(await (await c.post('/api/survey', { householdId: 'ho-a', quarter: '2026-Q4', answers: { ...answers(true), spare_key_kept_safe: false } })).json()).toEqual({ passed: false });
    expect(await (await c.post('/api/survey', { householdId: 'ho-a', quarter: '2026-Q4', answers: answers(true) })).json()).toEqual({ passed: true });
    expect((await c.post('/api/survey', { householdId: 'ho-a', quarter: '2026-Q5', answers: answers(true) })).status).toBe(400);
    const s = await (await as['district']!.get('/api/survey/summary?quarter=2026-Q4')).json();
    const village = s.items.find((v: { areaId: string }) => v.areaId === 'thon-a');
    expect(village).toMatchObject({ households: 1, surveyed: 1, passed: 1 });
  });

  it('shows admins the audit log of snapshot views; nobody else', async () => {
    await as['police.a']!.get(`/api/alerts/${alertA}/snapshot`);
    const log = await (await as['admin']!.get('/api/audit?action=snapshot.view')).json();
    expect(log.items[0]).toMatchObject({ username: 'police.a', action: 'snapshot.view', target: `alert:${alertA}`, householdId: 'ho-a' });
    // The household's own view is not a third party's access.
    expect(log.items.every((x: { username: string }) => x.username !== 'nha.a')).toBe(true);
    expect((await as['police.a']!.get('/api/audit')).status).toBe(403);
  });

  it('deletes expired snapshots', async () => {
    expect(existsSync(snapA)).toBe(true);
    expect(await expireSnapshots(f.db, f.t.hub.settings.dataDir, Date.now() + 1000)).toBeGreaterThanOrEqual(1);
    expect(existsSync(snapA)).toBe(false);
    expect((await as['police.a']!.get(`/api/alerts/${alertA}/snapshot`)).status).toBe(404);
  });
});

describe('live stream and API description', () => {
  it('fans an alert out to 50 open console streams, each filtered by its scope', async () => {
    const cookieOf = (c: ApiClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const before = process.memoryUsage();
    const streams = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const who = i % 2 ? 'police.b' : 'police.a';
        const ac = new AbortController();
        const r = await fetch(`${f.base}/api/alerts/stream`, { headers: { cookie: cookieOf(as[who]!) }, signal: ac.signal });
        expect(r.headers.get('content-type')).toMatch(/text\/event-stream/);
        const reader = r.body!.getReader();
        let text = '';
        const got = (async () => {
          const dec = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
            if (done) return text;
            text += dec.decode(value);
          }
        })();
        return { who, ac, got, seen: () => text };
      }),
    );
    const after = process.memoryUsage();
    const raised = await f.t.hub.raise({ kind: 'camera_lost', householdId: 'ho-a', deviceId: null, subject: 'fanout' });
    const want = `"id":${raised!.id},`;
    const until = Date.now() + 5000;
    while (Date.now() < until && !streams.filter((s) => s.who === 'police.a').every((s) => s.seen().includes(want))) await new Promise((r) => setTimeout(r, 20));
    for (const s of streams) expect(s.seen().includes(want), s.who).toBe(s.who === 'police.a');
    for (const s of streams) s.ac.abort();
    await Promise.all(streams.map((s) => s.got));
    console.log(JSON.stringify({ figure: 'hub_heap_delta_50_streams_kb', value: Math.round((after.heapUsed - before.heapUsed) / 1024), rssDeltaKb: Math.round((after.rss - before.rss) / 1024) }));
  });

  it('ends the stream of a session at logout', async () => {
    const c = new ApiClient(f.base);
    await c.login('police.a');
    const r = await fetch(`${f.base}/api/alerts/stream`, { headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    const reader = r.body!.getReader();
    await reader.read();
    expect((await c.post('/api/logout')).status).toBe(200);
    const end = await Promise.race([(async () => { for (;;) if ((await reader.read()).done) return 'ended'; })(), new Promise((res) => setTimeout(() => res('open'), 3000))]);
    expect(end).toBe('ended');
  });

  it('describes itself in OpenAPI from the route schemas', async () => {
    const doc = await (await fetch(`${f.base}/api/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/login'].post.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
    expect(doc.paths['/api/alerts/{id}/acknowledge'].post.description).toMatch(/officer/);
    expect(doc.paths['/api/alerts'].get.parameters.map((p: { name: string }) => p.name)).toContain('cursor');
  });

  it('counts sign-ins, workflow steps, image views and open streams on /metrics', async () => {
    const text = await (await fetch(`${f.base}/metrics`)).text();
    expect(text).toMatch(/khoa_console_logins_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/khoa_console_logins_total\{result="rate_limited"\} [1-9]/);
    expect(text).toMatch(/khoa_console_alert_steps_total\{action="resolve",result="(ok|conflict)"\} [1-9]/);
    expect(text).toMatch(/khoa_console_image_views_total\{kind="snapshot",role="officer"\} [1-9]/);
    expect(text).toMatch(/khoa_console_streams 0/);
  });
});
