import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../hub/src/testing/harness.ts';
import { addArea } from '../../hub/src/storage/areas.ts';
import { consoleDb } from '../../hub/src/storage/console-tables.ts';
import { setPasswordHash } from '../../hub/src/storage/users.ts';
import { createUser, hashPassword } from '../../hub/src/accounts/index.ts';
import { DEFAULT_ACCOUNT_SETTINGS } from '../../hub/src/accounts/settings.ts';
import { LoginThrottle } from '../../hub/src/broker/login-throttle.ts';
import { counter, loginFrom, mqttFrom } from './rig.ts';

// Password guessing against the console login and the MQTT broker (issue 9, "Access"), with
// real HTTP and real mqtt.js clients from many loopback source addresses. The hub runs on a
// clock the test moves, so "guesses per minute" is counted over a simulated hour: the figures
// mean the same on a loaded machine as on an idle one. A guess "counts" when the hub actually
// checked the password (401 / CONNACK 4); a throttled try is refused unchecked (429 / CONNACK 5).

const PASSWORD = 'mat khau that cua can bo';
const HOUR = 3600_000;
let clock = Date.now();
let t: TestHub;
let devicePassword: string;
const figures: Record<string, number> = {};

beforeAll(async () => {
  t = await startTestHub(undefined, {}, { now: () => clock, ruleTimer: false });
  const k = t.hub.db.kysely;
  await addArea(k, { id: 'xa-bf', level: 'commune', name: 'Xã BF', kind: 'rural' });
  const db = consoleDb(k);
  const hash = await hashPassword(PASSWORD);
  for (const username of ['police.one', 'police.many', 'police.spray1', 'police.spray2']) {
    const { user } = await createUser(db, { username, role: 'officer', areaId: 'xa-bf' });
    await setPasswordHash(db, user.id, hash);
  }
  devicePassword = await t.provision('hh-bf', 'dev-bf');
}, 60_000);

afterAll(async () => {
  await t?.close();
  // Printed for docs/security.md and the soak report.
  console.log(`brute-force figures (checked guesses per simulated hour): ${JSON.stringify(figures)}`);
});

/** Tries every `stepMs` of simulated time for `spanMs`, from the addresses in turn; counts what the hub checked. */
async function attack(spanMs: number, stepMs: number, addresses: string[], tryOnce: (address: string) => Promise<'checked' | 'throttled' | 'accepted'>) {
  const tally = { checked: 0, throttled: 0, accepted: 0 };
  const end = clock + spanMs;
  for (let i = 0; clock < end; i++, clock += stepMs) tally[await tryOnce(addresses[i % addresses.length]!)]++;
  return tally;
}

const consoleTry = (username: string) => async (address: string) => {
  const r = await loginFrom(address, t.hub.httpPort, username, `guess-${Math.random()}`);
  if (r.status === 429) {
    expect(r.code).toBe('KHOA_ERR_HTTP_RATE_LIMITED');
    return 'throttled' as const;
  }
  expect(r.status).toBe(401);
  return 'checked' as const;
};

const mqttTry = (password: () => string) => async (address: string) => {
  const r = await mqttFrom(address, t.hub.mqttPort, { clientId: 'dev-bf', username: 'dev-bf', password: password() });
  if ('client' in r) {
    await r.client.endAsync(true);
    return 'accepted' as const;
  }
  if (r.refused === 5) return 'throttled' as const;
  expect(r.refused).toBe(4);
  return 'checked' as const;
};

describe('console login under password guessing', () => {
  it('one address against one account: a few guesses, then backoff; the officer elsewhere is unaffected', async () => {
    // The officer signs in from the station first: that address is familiar to the account.
    expect((await loginFrom('127.0.0.9', t.hub.httpPort, 'police.one', PASSWORD)).status).toBe(200);
    const before = await counter(t.hub, 'khoa_login_throttled_total', { surface: 'console' });
    const r = await attack(HOUR, 5000, ['127.0.1.1'], consoleTry('police.one'));
    figures.consoleOneAddressPerHour = r.checked;
    // 5 free, then waits of 1, 2, 4, 8 and 15 minutes: about a dozen in the hour instead of 720.
    expect(r.checked).toBeGreaterThanOrEqual(5);
    expect(r.checked).toBeLessThanOrEqual(14);
    expect(await counter(t.hub, 'khoa_login_throttled_total', { surface: 'console' })).toBeGreaterThan(before);
    // The attacker's lock is his own: the officer signs in from the station and from a new address.
    expect((await loginFrom('127.0.0.9', t.hub.httpPort, 'police.one', PASSWORD)).status).toBe(200);
    expect((await loginFrom('127.0.0.10', t.hub.httpPort, 'police.one', PASSWORD)).status).toBe(200);
    // And the attacker, guessing right at last, is still made to wait.
    expect((await loginFrom('127.0.1.1', t.hub.httpPort, 'police.one', PASSWORD)).status).toBe(429);
  }, 60_000);

  it('many addresses against one account: bounded per account; the familiar address still signs in', async () => {
    expect((await loginFrom('127.0.0.9', t.hub.httpPort, 'police.many', PASSWORD)).status).toBe(200);
    const addresses = Array.from({ length: 120 }, (_, i) => `127.0.2.${i + 1}`);
    let officerDuringAttack = 0;
    const r = await attack(HOUR, 3000, addresses, async (address) => {
      // Now and then the officer signs in from the station in the middle of the attack.
      if (clock % (10 * 60_000) < 3000) officerDuringAttack = (await loginFrom('127.0.0.9', t.hub.httpPort, 'police.many', PASSWORD)).status;
      return consoleTry('police.many')(address);
    });
    figures.consoleManyAddressesPerHour = r.checked;
    // 20 failures from unfamiliar addresses close the account to them for 15 minutes: ~80 an hour instead of 1,200.
    expect(r.checked).toBeLessThanOrEqual(100);
    expect(r.throttled).toBeGreaterThan(1000);
    expect(officerDuringAttack).toBe(200);
    expect((await loginFrom('127.0.0.9', t.hub.httpPort, 'police.many', PASSWORD)).status).toBe(200);
    // A new address waits only while the attack lasts, never for good.
    const fresh = await loginFrom('127.0.3.1', t.hub.httpPort, 'police.many', PASSWORD);
    expect([200, 429]).toContain(fresh.status);
    clock += DEFAULT_ACCOUNT_SETTINGS.lockoutMs + 1000;
    expect((await loginFrom('127.0.3.1', t.hub.httpPort, 'police.many', PASSWORD)).status).toBe(200);
  }, 120_000);

  it('one address spraying many accounts is stopped at the address, except for an account that signed in there before', async () => {
    // An officer signs in from the station's shared address; a machine behind it then sprays.
    expect((await loginFrom('127.0.4.1', t.hub.httpPort, 'police.spray2', PASSWORD)).status).toBe(200);
    let checked = 0;
    for (let i = 0; i < 60; i++, clock += 1000) {
      const r = await loginFrom('127.0.4.1', t.hub.httpPort, i % 2 ? 'police.spray1' : 'police.spray2', `x${i}`);
      if (r.status === 401) checked++;
    }
    // spray1 is stopped by the address limit; spray2, familiar there, only by its own backoff.
    expect(checked).toBeLessThanOrEqual(DEFAULT_ACCOUNT_SETTINGS.maxFailuresPerIp + 12);
    expect((await loginFrom('127.0.4.1', t.hub.httpPort, 'police.spray1', PASSWORD)).status).toBe(429);
    // Both accounts still open from elsewhere.
    expect((await loginFrom('127.0.4.2', t.hub.httpPort, 'police.spray1', PASSWORD)).status).toBe(200);
    expect((await loginFrom('127.0.4.2', t.hub.httpPort, 'police.spray2', PASSWORD)).status).toBe(200);
  }, 60_000);
});

describe('MQTT password guessing', () => {
  it('one address against one device: backoff; the device keeps connecting from its own address', async () => {
    // The device connects from home first.
    expect(await mqttTry(() => devicePassword)('127.0.5.9')).toBe('accepted');
    const r = await attack(HOUR, 10_000, ['127.0.5.1'], mqttTry(() => `guess-${Math.random()}`));
    figures.mqttOneAddressPerHour = r.checked;
    // 5 free, then waits of 5, 10, 20, 40 minutes (settings.auth).
    expect(r.checked).toBeGreaterThanOrEqual(5);
    expect(r.checked).toBeLessThanOrEqual(10);
    expect(await mqttTry(() => devicePassword)('127.0.5.9')).toBe('accepted');
    expect(await counter(t.hub, 'khoa_login_throttled_total', { surface: 'mqtt', scope: 'pair' })).toBeGreaterThan(0);
    expect(await counter(t.hub, 'khoa_auth_rejected_total', { reason: 'rate_limited' })).toBeGreaterThan(0);
  }, 120_000);

  it('many addresses against one device: bounded per device, the device at home unaffected', async () => {
    const addresses = Array.from({ length: 100 }, (_, i) => `127.0.6.${i + 1}`);
    let homeDuringAttack: string | undefined;
    const r = await attack(HOUR, 5000, addresses, async (address) => {
      if (clock % (10 * 60_000) < 5000) homeDuringAttack = await mqttTry(() => devicePassword)('127.0.5.9');
      return mqttTry(() => `guess-${Math.random()}`)(address);
    });
    figures.mqttManyAddressesPerHour = r.checked;
    // 20 failures from unfamiliar addresses close the device to them for 15 minutes: ~80 an hour instead of 720.
    expect(r.checked).toBeLessThanOrEqual(100);
    expect(r.throttled).toBeGreaterThan(300);
    expect(homeDuringAttack).toBe('accepted');
  }, 180_000);
});

describe('the limiter under a spray from very many addresses', () => {
  it('holds a bounded number of entries and still protects the familiar address', () => {
    let now = 0;
    const throttle = new LoginThrottle(
      { freeFailures: 5, backoffBaseMs: 60_000, maxBackoffMs: 900_000, maxFailuresPerAddress: 20, addressLockoutMs: 900_000, maxFailuresPerAccount: 20, accountLockoutMs: 900_000, accountWindowMs: 900_000, windowMs: 900_000, trustedAddressMs: 86_400_000, maxKeys: 5000 },
      () => now,
    );
    throttle.succeed('police.x', '10.0.0.1');
    for (let i = 0; i < 200_000; i++, now += 10) throttle.fail(i % 3 ? 'police.x' : `user-${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(throttle.size.pairs).toBeLessThanOrEqual(5000);
    expect(throttle.size.trusted).toBeLessThanOrEqual(5000);
    // The account is closed to strangers, not to the officer's own address.
    expect(throttle.check('police.x', '192.168.9.9')).toMatchObject({ ok: false, scope: 'account' });
    expect(throttle.check('police.x', '10.0.0.1')).toEqual({ ok: true });
  });
});
