import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { agentConfigValidator, topics } from '@khoa/protocol';
import { startTestHub, type TestHub } from '../testing/harness.ts';
import { tempDir } from '../testing/databases.ts';

const bin = fileURLToPath(new URL('../../bin/khoa.js', import.meta.url));
const run = promisify(execFile);
/** Each test starts real `node + tsx` processes: seconds each on a busy 2-core machine. */
const SLOW = 120_000;
const khoa = (args: string[], env: Record<string, string>) => run(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });

describe('khoa area / household / provision / device (real processes on the hub database)', () => {
  let t: TestHub;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startTestHub();
    env = { KHOA_DATA_DIR: t.hub.settings.dataDir, KHOA_MQTT_PORT: String(t.hub.mqttPort) };
  });
  afterAll(() => t?.close());

  it('provisions an agent whose written config connects and reports a forced door', async () => {
    await khoa(['area', 'add', '--id', 'bg', '--level', 'province', '--name', 'Bắc Giang'], env);
    await khoa(['area', 'add', '--id', 'xa-cli', '--parent', 'bg', '--level', 'commune', '--name', 'Xã', '--kind', 'urban'], env);
    await khoa(['household', 'add', '--id', 'hh-cli', '--area', 'xa-cli', '--address', 'số 1'], env);
    const out = join(t.hub.settings.dataDir, 'agent.json');
    const { stdout, stderr } = await khoa(['provision', 'agent', '--household', 'hh-cli', '--device', 'agent-cli', '--out', out, '--lock', 'front:lock_with_door:simulator'], env);
    expect(stdout).toBe('');
    const config = agentConfigValidator.assert(JSON.parse(readFileSync(out, 'utf8')));
    expect(stderr).not.toContain(config.password);
    expect(config).toMatchObject({ deviceId: 'agent-cli', householdId: 'hh-cli', mqtt: { url: `mqtt://127.0.0.1:${t.hub.mqttPort}` } });

    const row = await t.hub.db.kysely.selectFrom('devices').selectAll().where('id', '=', 'agent-cli').executeTakeFirst();
    expect(row?.credential_hash).toMatch(/^\$argon2id\$/);
    expect(row?.credential_hash).not.toContain(config.password);

    const client = await mqtt.connectAsync(config.mqtt.url, { clientId: config.deviceId, username: config.deviceId, password: config.password, reconnectPeriod: 0 });
    const ref = { householdId: config.householdId, deviceId: config.deviceId };
    await client.publishAsync(topics.lockEvent(ref, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'forced' }), { qos: 1 });
    await client.endAsync();
    const alerts = await t.hub.db.kysely.selectFrom('alerts').selectAll().where('household_id', '=', 'hh-cli').execute();
    expect(alerts).toMatchObject([{ kind: 'door_forced', device_id: 'agent-cli' }]);

    await expect(khoa(['provision', 'agent', '--household', 'hh-cli', '--device', 'agent-cli'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('KHOA_ERR_DEVICE_EXISTS') });
    await expect(khoa(['provision', 'agent', '--household', 'nowhere'], env)).rejects.toMatchObject({ stderr: expect.stringContaining('KHOA_ERR_HOUSEHOLD_UNKNOWN') });
  }, SLOW);

  it('revokes a device: the running hub refuses it afterwards', async () => {
    const { stdout } = await khoa(['provision', 'agent', '--household', 'hh-cli', '--device', 'agent-rev'], env);
    const config = agentConfigValidator.assert(JSON.parse(stdout));
    await khoa(['device', 'revoke', '--device', 'agent-rev'], env);
    await expect(mqtt.connectAsync(config.mqtt.url, { clientId: 'agent-rev', username: 'agent-rev', password: config.password, reconnectPeriod: 0 })).rejects.toMatchObject({ code: 5 });
  }, SLOW);
});

describe('khoa hub (a real process)', () => {
  let blocker: Server;
  let blockedPort: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    blockedPort = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it('serves /healthz and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [bin, 'hub'], { env: { ...process.env, KHOA_DATA_DIR: dataDir, KHOA_MQTT_PORT: '0', KHOA_HTTP_PORT: '0', KHOA_HTTP_HOST: '127.0.0.1', KHOA_MQTT_HOST: '127.0.0.1', KHOA_LOG_LEVEL: 'info', KHOA_PIPELINE_WORKERS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const started = await new Promise<{ mqtt: { tcp: number }; http: number }>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n')) {
          if (line.includes('"hub started"')) resolve(JSON.parse(line));
        }
      });
      child.on('exit', () => reject(new Error(`hub exited early: ${buf}`)));
    });
    const res = await fetch(`http://127.0.0.1:${started.http}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', broker: { up: true }, db: { up: true, dialect: 'sqlite' } });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  }, SLOW);

  it('names the setting when the MQTT port is taken', async () => {
    const dataDir = tempDir();
    const err = await khoa(['hub'], { KHOA_DATA_DIR: dataDir, KHOA_MQTT_HOST: '127.0.0.1', KHOA_MQTT_PORT: String(blockedPort), KHOA_HTTP_PORT: '0', KHOA_PIPELINE_WORKERS: '0' }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/KHOA_ERR_PORT_IN_USE/);
    expect((err as { stderr: string }).stderr).toMatch(/mqtt\.port \(KHOA_MQTT_PORT\)/);
    rmSync(dataDir, { recursive: true, force: true });
  }, SLOW);
});
