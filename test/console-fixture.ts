import { startTestHub, type TestHub } from '../hub/src/testing/harness.ts';
import { dbTargets, type TestDbTarget } from '../hub/src/testing/databases.ts';
import { addArea } from '../hub/src/storage/areas.ts';
import { addHousehold } from '../hub/src/storage/households.ts';
import { consoleDb, type ConsoleDb } from '../hub/src/storage/console-tables.ts';
import { setPasswordHash } from '../hub/src/storage/users.ts';
import { createUser, hashPassword } from '../hub/src/accounts/index.ts';
import type { Role } from '@khoa/protocol';

/**
 * A real hub (SQLite file, aedes on a free port, HTTP on a free port) with a small area tree:
 * province → two communes (A and B) → a village each → a household each, and one account per
 * role. Passwords are set as if each user had already replaced the generated one.
 */
export const PASSWORD = 'correct horse battery staple';

export const ACCOUNTS: Array<{ username: string; role: Role; areaId?: string; householdId?: string }> = [
  { username: 'police.a', role: 'officer', areaId: 'xa-a' },
  { username: 'police.a2', role: 'officer', areaId: 'xa-a' },
  { username: 'police.a3', role: 'officer', areaId: 'xa-a' },
  { username: 'police.b', role: 'officer', areaId: 'xa-b' },
  { username: 'district', role: 'official', areaId: 'tinh' },
  { username: 'admin', role: 'admin', areaId: 'tinh' },
  { username: 'nha.a', role: 'household', householdId: 'ho-a' },
  { username: 'nha.b', role: 'household', householdId: 'ho-b' },
];

export interface ConsoleFixture {
  t: TestHub;
  db: ConsoleDb;
  base: string;
  close(): Promise<void>;
}

export async function startConsoleFixture(settings: Record<string, unknown> = {}, target: TestDbTarget = dbTargets[0]!): Promise<ConsoleFixture> {
  const t = await startTestHub(target, settings);
  const k = t.hub.db.kysely;
  await addArea(k, { id: 'tinh', level: 'province', name: 'Tỉnh Bắc Giang' });
  await addArea(k, { id: 'xa-a', parentId: 'tinh', level: 'commune', name: 'Xã Phượng Sơn', kind: 'rural' });
  await addArea(k, { id: 'xa-b', parentId: 'tinh', level: 'commune', name: 'Xã Quý Sơn', kind: 'rural' });
  await addArea(k, { id: 'thon-a', parentId: 'xa-a', level: 'village', name: 'Thôn Đồng Mậm' });
  await addArea(k, { id: 'thon-b', parentId: 'xa-b', level: 'village', name: 'Thôn Hả' });
  await addHousehold(k, { id: 'ho-a', areaId: 'thon-a', address: 'Số 12, thôn Đồng Mậm' });
  await addHousehold(k, { id: 'ho-b', areaId: 'thon-b', address: 'Số 7, thôn Hả' });
  const db = consoleDb(k);
  const hash = await hashPassword(PASSWORD);
  for (const a of ACCOUNTS) {
    const { user } = await createUser(db, a);
    await setPasswordHash(db, user.id, hash);
  }
  return { t, db, base: t.http, close: () => t.close() };
}

/** A browser-like API client: keeps the cookies, echoes the CSRF token on changes. */
export class ApiClient {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly base: string) {}

  async login(username: string, password = PASSWORD): Promise<Response> {
    const r = await this.req('POST', '/api/login', { username, password });
    if (r.ok) this.csrf = ((await r.clone().json()) as { csrf: string }).csrf;
    return r;
  }

  get(path: string): Promise<Response> {
    return this.req('GET', path);
  }

  post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.req('POST', path, body, headers);
  }

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (method !== 'GET' && this.csrf && !('x-khoa-csrf' in h)) h['x-khoa-csrf'] = this.csrf;
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const r = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, ...v] = (pair ?? '').split('=');
      if (k) this.cookies.set(k, v.join('='));
    }
    return r;
  }
}

/** Stored alerts in bulk (straight into the table, as months of history would be), newest last. */
export async function insertBulkAlerts(db: ConsoleDb, n: number, householdId: string, endAt = Date.now() - 60_000): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => ({
    kind: i % 3 ? 'person' : 'tip', status: i % 5 ? 'new' : 'resolved', severity: 'high', household_id: householdId, device_id: null, subject: `bulk-${i}`,
    source_event_id: null, snapshot_path: null, detail: null, created_at: endAt - (n - i) * 1000, deadline_at: endAt + 3600_000,
    acknowledged_at: null, acknowledged_by: null, assigned_at: null, assigned_by: null, assigned_to: null, resolved_at: null, resolved_by: null,
  }));
  for (let i = 0; i < rows.length; i += 300) await db.insertInto('alerts').values(rows.slice(i, i + 300)).execute();
}
