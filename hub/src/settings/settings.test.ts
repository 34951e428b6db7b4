import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { isKhoaError, type KhoaError } from '@khoa/protocol';
import { loadSettings } from './load.ts';
import { startHub } from '../hub.ts';
import { createLogger } from '../log.ts';
import { tempDir } from '../testing/databases.ts';

const dir = tempDir('khoa-settings-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (f: () => unknown): KhoaError => {
  try {
    f();
  } catch (err) {
    if (isKhoaError(err)) return err;
    throw err;
  }
  throw new Error('expected a KhoaError');
};

describe('settings', () => {
  it('has documented defaults for everything', () => {
    const s = loadSettings({ env: {} });
    expect(s).toMatchObject({ dataDir: '.data', logLevel: 'info', mqtt: { host: '0.0.0.0', port: 1884, maxJsonBytes: 65536 }, http: { port: 8080 }, db: { url: '' } });
    expect(s.mqtt.tls).toBeUndefined();
    expect(s.mqtt.ws).toBeUndefined();
    expect(s.rules).toMatchObject({ lowBatteryPercent: 20, keypadFailures: 5, lockOpenNightMinutes: 15 });
  });

  it('reads a JSON file, then KHOA_* variables over it', () => {
    const file = join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify({ mqtt: { port: 2000 }, http: { port: 3000 }, rules: { lowBatteryPercent: 10 } }));
    const s = loadSettings({
      file,
      env: { KHOA_HTTP_PORT: '3001', KHOA_DATA_DIR: '/var/lib/khoa', KHOA_DB_URL: 'postgres://h/db', KHOA_MQTT_WS_PORT: '9001', KHOA_MQTT_TLS_PORT: '8883', KHOA_MQTT_TLS_CERT: '/c.pem', KHOA_MQTT_TLS_KEY: '/k.pem', KHOA_LOG_LEVEL: 'debug' },
    });
    expect(s).toMatchObject({ dataDir: '/var/lib/khoa', logLevel: 'debug', mqtt: { port: 2000, ws: { port: 9001, path: '/mqtt' }, tls: { port: 8883, cert: '/c.pem', key: '/k.pem' } }, http: { port: 3001 }, db: { url: 'postgres://h/db' } });
    expect(s.rules.lowBatteryPercent).toBe(10);
  });

  it('refuses unknown keys, naming them', () => {
    const err = failure(() => loadSettings({ env: {}, overrides: { mqtt: { prot: 1883 } } }));
    expect(err.code).toBe('KHOA_ERR_CONFIG_INVALID');
    expect(err.message).toContain('unknown setting "mqtt.prot"');
    expect(failure(() => loadSettings({ env: {}, overrides: { colour: 'red' } })).context.setting).toBe('colour');
  });

  it('names the variable of a bad value', () => {
    expect(failure(() => loadSettings({ env: { KHOA_MQTT_PORT: 'abc' } })).context).toMatchObject({ env: 'KHOA_MQTT_PORT', setting: 'mqtt.port' });
    const err = failure(() => loadSettings({ env: { KHOA_HTTP_PORT: '70000' } }));
    expect(err.message).toMatch(/http\.port must be <= 65535 \(set by KHOA_HTTP_PORT\)/);
    expect(failure(() => loadSettings({ env: { KHOA_LOG_LEVEL: 'loud' } })).context).toMatchObject({ env: 'KHOA_LOG_LEVEL' });
    expect(failure(() => loadSettings({ env: { KHOA_MQTT_TLS_PORT: '8883' } })).message).toMatch(/cert/);
  });

  it('reports an unreadable or non-JSON file', () => {
    expect(failure(() => loadSettings({ file: join(dir, 'missing.json'), env: {} })).code).toBe('KHOA_ERR_CONFIG_FILE');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ mqtt: ');
    expect(failure(() => loadSettings({ file: bad, env: {} })).code).toBe('KHOA_ERR_CONFIG_FILE');
  });
});

describe('port already in use', () => {
  let blocker: Server;
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it.each([
    ['mqtt.port', 'KHOA_MQTT_PORT'],
    ['http.port', 'KHOA_HTTP_PORT'],
    ['mqtt.ws.port', 'KHOA_MQTT_WS_PORT'],
  ])('names %s (%s) and leaves nothing running', async (setting, env) => {
    blocker ??= await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const taken = (blocker.address() as { port: number }).port;
    const dataDir = tempDir();
    const ports = { mqtt: 0, http: 0, ws: 0, [setting.split('.')[1] === 'ws' ? 'ws' : setting.split('.')[0]!]: taken };
    const settings = loadSettings({ env: {}, overrides: { dataDir, mqtt: { host: '127.0.0.1', port: ports.mqtt, ws: { port: ports.ws } }, http: { host: '127.0.0.1', port: ports.http }, pipeline: { workers: 0 } } });
    const err = await startHub(settings, { logger: createLogger('silent') }).then(
      () => null,
      (e: unknown) => e as KhoaError,
    );
    expect(err?.code).toBe('KHOA_ERR_PORT_IN_USE');
    expect(err?.context).toMatchObject({ setting, env, port: taken });
    expect(err?.message).toContain(`${setting} (${env})`);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
