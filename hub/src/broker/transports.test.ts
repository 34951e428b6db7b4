import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { topics } from '@khoa/protocol';
import { startTestHub, type TestHub } from '../testing/harness.ts';
import { tempDir } from '../testing/databases.ts';

/** TLS and WebSocket listeners, with a certificate made by the machine's openssl for this run. */
describe('MQTT over TLS and WebSocket', () => {
  const certDir = tempDir('khoa-tls-');
  const cert = join(certDir, 'cert.pem');
  const key = join(certDir, 'key.pem');
  let t: TestHub;
  let password: string;
  const dev = { householdId: 'hh-t', deviceId: 'agent-t' };

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    t = await startTestHub(undefined, { mqtt: { tls: { port: 0, cert, key }, ws: { port: 0 } } });
    password = await t.provision(dev.householdId, dev.deviceId);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  const forced = (seq: number) => JSON.stringify({ seq, ts: Date.now(), type: 'forced' });

  it('reports the ports it got', () => {
    expect(t.hub.mqttTlsPort).toBeGreaterThan(0);
    expect(t.hub.mqttWsPort).toBeGreaterThan(0);
    expect(new Set([t.hub.mqttPort, t.hub.mqttTlsPort, t.hub.mqttWsPort, t.hub.httpPort]).size).toBe(4);
  });

  it('accepts a device over TLS that trusts the hub CA, and stores its event', async () => {
    const c = await mqtt.connectAsync(`mqtts://localhost:${t.hub.mqttTlsPort}`, { ca: readFileSync(cert), clientId: dev.deviceId, username: dev.deviceId, password, reconnectPeriod: 0 });
    await c.publishAsync(topics.lockEvent(dev, 'front'), forced(1), { qos: 1 });
    await c.endAsync();
    expect(await t.hub.db.kysely.selectFrom('events').select('seq').where('device_id', '=', dev.deviceId).execute()).toEqual([{ seq: 1 }]);
  });

  it('refuses a TLS client that does not trust the certificate', async () => {
    await expect(mqtt.connectAsync(`mqtts://localhost:${t.hub.mqttTlsPort}`, { clientId: dev.deviceId, username: dev.deviceId, password, reconnectPeriod: 0, connectTimeout: 3000 })).rejects.toThrow(/self.signed|certificate/i);
  });

  it('accepts a device over WebSocket with the same auth and ACL', async () => {
    const url = `ws://127.0.0.1:${t.hub.mqttWsPort}/mqtt`;
    await expect(mqtt.connectAsync(url, { clientId: dev.deviceId, username: dev.deviceId, password: 'wrong-password', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    const c = await mqtt.connectAsync(url, { clientId: dev.deviceId, username: dev.deviceId, password, reconnectPeriod: 0 });
    await c.publishAsync(topics.lockEvent(dev, 'front'), forced(2), { qos: 1 });
    await c.endAsync();
    expect((await t.hub.db.kysely.selectFrom('events').select('seq').where('device_id', '=', dev.deviceId).orderBy('seq').execute()).map((r) => r.seq)).toEqual([1, 2]);
  });
});
