import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { metricValue, startTestHub, type TestHub } from '../testing/harness.ts';
import { revokeDevice } from '../storage/devices.ts';
import { sweepRevoked } from './revocation-sweep.ts';

describe('MQTT authentication', () => {
  let t: TestHub;
  let password: string;
  beforeAll(async () => {
    t = await startTestHub(undefined, { auth: { maxFailures: 3, lockoutMs: 60_000 } });
    password = await t.provision('hh-auth', 'agent-auth');
    await t.provision('hh-auth', 'agent-victim');
    await t.provision('hh-auth', 'agent-locked');
  });
  afterAll(() => t?.close());

  const refused = (opts: mqtt.IClientOptions) => mqtt.connectAsync(t.url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });

  it('accepts a provisioned device with its own password, then answers from the cache', async () => {
    const c = await t.connect('agent-auth', password);
    expect(c.connected).toBe(true);
    await c.endAsync();
    const again = await t.connect('agent-auth', password);
    await again.endAsync();
    expect(await metricValue(t.hub, 'khoa_auth_accepted_total', { cached: 'false' })).toBe(1);
    expect(await metricValue(t.hub, 'khoa_auth_accepted_total', { cached: 'true' })).toBe(1);
  });

  it('refuses an anonymous client', async () => {
    await expect(refused({ clientId: 'agent-auth' })).rejects.toMatchObject({ code: 4 });
    expect(await metricValue(t.hub, 'khoa_auth_rejected_total', { reason: 'anonymous' })).toBe(1);
  });

  it('refuses a wrong password', async () => {
    await expect(refused({ clientId: 'agent-victim', username: 'agent-victim', password: 'not-the-password' })).rejects.toMatchObject({ code: 4 });
    expect(await metricValue(t.hub, 'khoa_auth_rejected_total', { reason: 'bad_password' })).toBe(1);
  });

  it('refuses a client id that is not the username (spoofing another device)', async () => {
    await expect(refused({ clientId: 'agent-victim', username: 'agent-auth', password })).rejects.toMatchObject({ code: 2 });
    expect(await metricValue(t.hub, 'khoa_auth_rejected_total', { reason: 'client_id_mismatch' })).toBe(1);
  });

  it('refuses a connection without keepalive (it could never be noticed dead)', async () => {
    await expect(refused({ clientId: 'agent-auth', username: 'agent-auth', password, keepalive: 0 })).rejects.toThrow();
    await expect(refused({ clientId: 'agent-auth', username: 'agent-auth', password, keepalive: 3600 })).rejects.toThrow();
  });

  it('refuses an unknown device', async () => {
    await expect(refused({ clientId: 'ghost', username: 'ghost', password: 'x'.repeat(32) })).rejects.toMatchObject({ code: 4 });
    expect(await metricValue(t.hub, 'khoa_auth_rejected_total', { reason: 'unknown_device' })).toBe(1);
  });

  it('locks a client id out after repeated failures, even for the right password', async () => {
    const goodPassword = await t.provision('hh-auth', 'agent-brute');
    for (let i = 0; i < 3; i++) {
      await expect(refused({ clientId: 'agent-brute', username: 'agent-brute', password: `guess-${i}` })).rejects.toMatchObject({ code: 4 });
    }
    await expect(refused({ clientId: 'agent-brute', username: 'agent-brute', password: goodPassword })).rejects.toMatchObject({ code: 5 });
    expect(await metricValue(t.hub, 'khoa_auth_rejected_total', { reason: 'rate_limited' })).toBe(1);
  });

  it('refuses a revoked device and drops its live connection', async () => {
    const pw = await t.provision('hh-auth', 'agent-revoked');
    const c = await t.connect('agent-revoked', pw);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    expect(await t.hub.revokeDevice('agent-revoked')).toBe(true);
    await closed;
    await expect(refused({ clientId: 'agent-revoked', username: 'agent-revoked', password: pw })).rejects.toMatchObject({ code: 5 });
    expect(await metricValue(t.hub, 'khoa_auth_rejected_total', { reason: 'revoked' })).toBe(1);
  });

  it('closes the live session of a device revoked by another process (the CLI) on the next sweep', async () => {
    const pw = await t.provision('hh-auth', 'agent-swept');
    const c = await t.connect('agent-swept', pw);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await revokeDevice(t.hub.db.kysely, 'agent-swept'); // what `khoa device revoke` does
    expect(await sweepRevoked(t.hub.broker.aedes, t.hub.db.kysely, t.hub.log)).toBe(1);
    await closed;
  });
});
