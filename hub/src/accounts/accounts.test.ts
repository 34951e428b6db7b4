import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { openDb, type Db } from '../storage/open.ts';
import { addArea } from '../storage/areas.ts';
import { consoleDb, type ConsoleDb } from '../storage/console-tables.ts';
import { setPasswordHash } from '../storage/users.ts';
import { dbTargets } from '../testing/databases.ts';
import { Accounts } from './sessions.ts';
import { createUser, resetPassword, ROOT } from './create-user.ts';
import { hashPassword } from './passwords.ts';
import { DEFAULT_ACCOUNT_SETTINGS } from './settings.ts';

const PASSWORD = 'a long enough passphrase';
let db: Db;
let cdb: ConsoleDb;
let cleanup: () => Promise<void>;
let clock = 1_700_000_000_000;
const now = () => clock;

beforeAll(async () => {
  const env = dbTargets[0]!.make();
  cleanup = env.cleanup;
  db = await openDb(env.db, env.dataDir);
  cdb = consoleDb(db.kysely);
  await addArea(db.kysely, { id: 'xa', level: 'commune', name: 'Xã' });
  const hash = await hashPassword(PASSWORD);
  for (const u of ['a', 'b', 'c', 'd'].map((x) => `officer.${x}`)) {
    const { user } = await createUser(cdb, { username: u, role: 'officer', areaId: 'xa' });
    await setPasswordHash(cdb, user.id, hash);
  }
});

afterAll(async () => {
  await db?.close();
  await cleanup?.();
});

const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isKhoaError(e) ? e.code : String(e)));

describe('Accounts', () => {
  it('locks an IP out after too many failures across accounts, and only that IP', async () => {
    const acc = new Accounts(cdb, { ...DEFAULT_ACCOUNT_SETTINGS, maxFailuresPerIp: 3 }, now);
    for (const u of ['officer.a', 'officer.b', 'officer.c']) expect(await code(acc.login(u, 'wrong', '10.0.0.9'))).toBe('KHOA_ERR_HTTP_UNAUTHENTICATED');
    expect(await code(acc.login('officer.d', PASSWORD, '10.0.0.9'))).toBe('KHOA_ERR_HTTP_RATE_LIMITED');
    expect(await code(acc.login('officer.d', PASSWORD, '10.0.0.10'))).toBe('ok');
    clock += DEFAULT_ACCOUNT_SETTINGS.lockoutMs + 1;
    expect(await code(acc.login('officer.d', PASSWORD, '10.0.0.9'))).toBe('ok');
  });

  it('ends a session after the idle time, keeps a used one alive, and never past the absolute limit', async () => {
    const s = { ...DEFAULT_ACCOUNT_SETTINGS, idleMs: 60 * 60_000, absoluteMs: 3 * 60 * 60_000 };
    const acc = new Accounts(cdb, s, now);
    const { token } = await acc.login('officer.a', PASSWORD, '10.0.0.1');
    // Used every 50 minutes: alive past the first idle hour…
    for (let i = 0; i < 3; i++) {
      clock += 50 * 60_000;
      expect(await acc.resolve(token)).toBeDefined();
    }
    // …but not past three hours from login.
    clock += 35 * 60_000;
    expect(await acc.resolve(token)).toBeUndefined();
    const idle = await acc.login('officer.a', PASSWORD, '10.0.0.1');
    clock += 61 * 60_000;
    expect(await acc.resolve(idle.token)).toBeUndefined();
  });

  it('makes the first administrator with --area ROOT and a generated password that must be changed', async () => {
    const { user, password } = await createUser(cdb, { username: 'root.admin', role: 'admin', areaId: ROOT });
    expect(user).toMatchObject({ area_id: null, must_change_password: 1 });
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(await code(createUser(cdb, { username: 'x.officer', role: 'officer', areaId: ROOT }))).toBe('KHOA_ERR_HTTP_BAD_REQUEST');
    expect(await code(createUser(cdb, { username: 'y.officer', role: 'officer', areaId: 'no-such-area' }))).toBe('KHOA_ERR_AREA_UNKNOWN');
    expect(await code(createUser(cdb, { username: 'root.admin', role: 'admin', areaId: ROOT }))).toBe('KHOA_ERR_HTTP_CONFLICT');
    const acc = new Accounts(cdb, DEFAULT_ACCOUNT_SETTINGS, now);
    const first = await acc.login('root.admin', password, '10.0.0.2');
    expect(first.principal.mustChangePassword).toBe(true);
    const again = await resetPassword(cdb, 'root.admin');
    expect(again).not.toBe(password);
    // A reset ends the sessions in use.
    expect(await acc.resolve(first.token)).toBeUndefined();
  });
});
