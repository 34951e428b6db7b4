import { connect as tlsConnect } from 'node:tls';
import { request as httpRequest } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { createLogger } from '@khoa/hub';
import { startTestHub, type TestHub } from '../../hub/src/testing/harness.ts';
import { addArea } from '../../hub/src/storage/areas.ts';
import { addHousehold } from '../../hub/src/storage/households.ts';
import { consoleDb } from '../../hub/src/storage/console-tables.ts';
import { setPasswordHash } from '../../hub/src/storage/users.ts';
import { createUser, hashPassword } from '../../hub/src/accounts/index.ts';
import { ApiClient, PASSWORD } from '../console-fixture.ts';

// Hostile input at the HTTP edge, old TLS, and secrets in logs (issue 9). One hub, logging at
// debug into memory, with TLS on its MQTT listener.
let t: TestHub;
let logText = '';
let certDir: string;
let devicePassword: string;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'khoa-hostile-tls-'));
  const cert = join(certDir, 'cert.pem');
  const key = join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  t = await startTestHub(undefined, { mqtt: { tls: { port: 0, cert, key } } }, { logger: createLogger('debug', sink) });
  const k = t.hub.db.kysely;
  await addArea(k, { id: 'tinh', level: 'province', name: 'Tỉnh' });
  await addArea(k, { id: 'xa-h', parentId: 'tinh', level: 'commune', name: 'Xã H', kind: 'rural' });
  await addHousehold(k, { id: 'ho-h', areaId: 'xa-h', address: 'Số 1' });
  const db = consoleDb(k);
  const hash = await hashPassword(PASSWORD);
  for (const a of [{ username: 'police.h', role: 'officer' as const, areaId: 'xa-h' }, { username: 'nha.h', role: 'household' as const, householdId: 'ho-h' }]) {
    const { user } = await createUser(db, a);
    await setPasswordHash(db, user.id, hash);
  }
  devicePassword = await t.provision('ho-h2', 'dev-h');
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(certDir, { recursive: true, force: true });
});

const healthy = async () => (await fetch(`${t.http}/healthz`)).status === 200;

describe('HTTP routes under arbitrary input', () => {
  it('answer random JSON bodies on login, tips and workflow routes with a 4xx, never a 5xx', async () => {
    const household = new ApiClient(t.http);
    expect((await household.login('nha.h')).status).toBe(200);
    const officer = new ApiClient(t.http);
    expect((await officer.login('police.h')).status).toBe(200);
    const bodies = fc.sample(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 300 }), fc.object({ maxDepth: 2 })), { numRuns: 60, seed: 11 });
    const statuses: number[] = [];
    for (const body of bodies) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      statuses.push((await new ApiClient(t.http).req('POST', '/api/login', text)).status);
      statuses.push((await household.req('POST', '/api/tips', text)).status);
      statuses.push((await officer.req('POST', '/api/alerts/1/ack', text)).status);
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s >= 400 && s < 500)).toBe(true);
    expect(await healthy()).toBe(true);
  }, 60_000);

  it('refuses path traversal on static pages and snapshot routes', async () => {
    const officer = new ApiClient(t.http);
    await officer.login('police.h');
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        // node:http sends the path as given (fetch would normalise the dots away).
        const req = httpRequest({ host: '127.0.0.1', port: t.hub.httpPort, path, headers: { cookie: [...officer.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/js/..%2f..%2f..%2fetc%2fpasswd', '/api/alerts/..%2f..%2fetc%2fpasswd/snapshot', '/api/alerts/1%00/snapshot', '/api/tips/../../etc/passwd/photo']) {
      const r = await raw(path);
      expect(r.body, path).not.toMatch(/root:.*:0:0:/);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).toBeLessThan(500);
    }
  });

  it('refuses an oversized body before reading it all', async () => {
    const r = await new ApiClient(t.http).req('POST', '/api/login', JSON.stringify({ username: 'x', password: 'y'.repeat(5 * 1024 * 1024) }));
    expect(r.status).toBe(413);
    expect(await healthy()).toBe(true);
  });
});

describe('TLS and secrets', () => {
  it('refuses TLS 1.1 and older on the MQTT listener, accepts TLS 1.2', async () => {
    const tryVersion = (minVersion: 'TLSv1' | 'TLSv1.2', maxVersion: 'TLSv1.1' | 'TLSv1.3') =>
      new Promise<string>((resolve) => {
        // SECLEVEL=0 lets this client offer the old versions at all (OpenSSL 3 refuses by default).
        const s = tlsConnect({ host: '127.0.0.1', port: t.hub.mqttTlsPort!, minVersion, maxVersion, rejectUnauthorized: false, ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
          resolve(s.getProtocol() ?? 'unknown');
          s.destroy();
        });
        s.on('error', (e) => resolve(`refused: ${e.message}`));
      });
    expect(await tryVersion('TLSv1', 'TLSv1.1')).toMatch(/^refused/);
    expect(await tryVersion('TLSv1.2', 'TLSv1.3')).toMatch(/^TLSv1\.[23]$/);
  });

  it('never writes a device or console password into the logs', async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.hub.mqttPort}`, { clientId: 'dev-h', username: 'dev-h', password: devicePassword, reconnectPeriod: 0 });
    await c.endAsync();
    await mqtt.connectAsync(`mqtt://127.0.0.1:${t.hub.mqttPort}`, { clientId: 'dev-h', username: 'dev-h', password: `${devicePassword}x`, reconnectPeriod: 0 }).catch(() => undefined);
    const wrong = 'sai-mat-khau-rat-dai-123';
    await new ApiClient(t.http).login('police.h', wrong);
    await new ApiClient(t.http).login('police.h');
    await new Promise((r) => setTimeout(r, 200));
    expect(logText.length).toBeGreaterThan(1000); // the debug log really was captured
    expect(logText).toContain('dev-h');
    for (const secret of [devicePassword, PASSWORD, wrong]) expect(logText.includes(secret), 'a password reached the log').toBe(false);
  });
});
