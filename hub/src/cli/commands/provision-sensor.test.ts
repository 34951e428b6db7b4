import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { isKhoaError, topics } from '@khoa/protocol';
import { startTestHub, waitFor, type TestHub } from '../../testing/harness.ts';
import { tempDir } from '../../testing/databases.ts';
import { provision } from './provision.ts';
import { device } from './device.ts';

// A syntactically valid ed25519 public key (not anyone's key).
const KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'A'.repeat(43)} installer@laptop`;

/**
 * `khoa provision sensor` / `agent --out-dir` run in-process against a running test hub's
 * database (the command reads the hub's settings from KHOA_DATA_DIR, as the CLI tests do),
 * so this stays fast: no node + tsx process per command.
 */
describe('khoa provision sensor and agent bundles', () => {
  let t: TestHub;
  let dir: string;
  const saved = process.env.KHOA_DATA_DIR;
  const out: string[] = [];
  beforeAll(async () => {
    // A short rules tick so the revocation sweep closes a revoked sensor's session quickly.
    t = await startTestHub(undefined, { rules: { tickMs: 200 } });
    process.env.KHOA_DATA_DIR = t.hub.settings.dataDir;
    dir = tempDir('khoa-prov-');
    writeFileSync(join(dir, 'wifi.txt'), 'mat-khau-wifi-nha\n', { mode: 0o600 });
    writeFileSync(join(dir, 'id.pub'), `${KEY}\n`);
    await t.provision('hh-s', 'agent-seed');
    // Everything the commands print, to check that no secret is among it.
    for (const m of ['log', 'error'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env.KHOA_DATA_DIR;
    else process.env.KHOA_DATA_DIR = saved;
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sensor = (id: string, extra: string[] = []) =>
    provision.run(['sensor', '--household', 'hh-s', '--kind', 'door_sensor', '--device', id, '--lock-id', 'front', '--out-dir', join(dir, id), '--hub-url', t.url, '--wifi-ssid', 'Nha Minh', '--wifi-password-file', join(dir, 'wifi.txt'), '--json', ...extra]);
  const json = () => JSON.parse(out.filter((l) => l.startsWith('{')).at(-1)!) as { deviceId: string; elapsedMs: number };

  it('provisions sensors with their own passwords; one connects and reports; revoked, it cannot connect', async () => {
    expect(await sensor('sensor-a')).toBe(0);
    const a = json();
    expect(await sensor('sensor-b')).toBe(0);
    const b = json();
    const secretsOf = (id: string) => parse(readFileSync(join(dir, id, 'secrets.yaml'), 'utf8')) as Record<string, string>;
    const [sa, sb] = [secretsOf('sensor-a'), secretsOf('sensor-b')];
    expect(sa.mqtt_password).not.toBe(sb.mqtt_password);
    expect(sa.ota_password).not.toBe(sb.ota_password);
    expect(sa.wifi_password).toBe('mat-khau-wifi-nha');
    expect(statSync(join(dir, 'sensor-a', 'secrets.yaml')).mode & 0o777).toBe(0o600);
    for (const v of [...Object.values(sa), ...Object.values(sb)]) for (const line of out) expect(line).not.toContain(v);
    const row = await t.hub.db.kysely.selectFrom('devices').selectAll().where('id', '=', 'sensor-a').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ household_id: 'hh-s', kind: 'sensor', revoked: 0 });
    expect(row.credential_hash).toMatch(/^\$argon2id\$/);
    console.info(`provisioning time per sensor: ${a.elapsedMs} ms, ${b.elapsedMs} ms (argon2id hash included)`);

    // The sensor as its YAML says: client id, username, will, birth and event topic all come
    // from the generated file (the !secret and !lambda tags read as plain strings here).
    const ref = { householdId: 'hh-s', deviceId: 'sensor-a' };
    type Msg = { topic: string; payload: string; qos: 0 | 1; retain: boolean };
    const esp = parse(readFileSync(join(dir, 'sensor-a', 'sensor-a.yaml'), 'utf8'), { logLevel: 'silent' }) as {
      mqtt: { client_id: string; username: string; birth_message: Msg; will_message: Msg };
      script: { then: Record<string, { topic?: string }>[] }[];
    };
    expect(esp.mqtt.client_id).toBe('sensor-a');
    expect(esp.mqtt.username).toBe('sensor-a');
    const eventTopic = esp.script[0]!.then[1]!['mqtt.publish_json']!.topic!;
    expect(eventTopic).toBe(topics.lockEvent(ref, 'front'));
    const { will_message: will, birth_message: birth } = esp.mqtt;
    const client = await t.connect(esp.mqtt.client_id, sa.mqtt_password, { will: { topic: will.topic, payload: Buffer.from(will.payload), retain: will.retain, qos: will.qos } });
    await client.publishAsync(birth.topic, birth.payload, { retain: birth.retain, qos: birth.qos });
    await client.publishAsync(eventTopic, JSON.stringify({ seq: 1001, ts: Date.now(), type: 'door_open', source: 'esphome' }), { qos: 1 });
    await waitFor(async () => (await t.hub.db.kysely.selectFrom('devices').select('status').where('id', '=', 'sensor-a').executeTakeFirst())?.status === 'online', 5000, 'sensor online');
    await waitFor(() => t.hub.db.kysely.selectFrom('events').selectAll().where('device_id', '=', 'sensor-a').executeTakeFirst(), 5000, 'the sensor event');

    // Revoked while connected: the hub closes its session, and it cannot come back.
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    expect(await device.run(['revoke', '--device', 'sensor-a'])).toBe(0);
    await closed;
    await expect(t.connect('sensor-a', sa.mqtt_password)).rejects.toMatchObject({ code: 5 });
    // The other sensor's credentials are untouched.
    const other = await t.connect('sensor-b', sb.mqtt_password);
    expect(other.connected).toBe(true);
  });

  it('refuses an existing device, a bad kind, an unknown household; leaves no bundle behind', async () => {
    const before = readFileSync(join(dir, 'sensor-b', 'secrets.yaml'), 'utf8');
    await expect(sensor('sensor-b')).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_DEVICE_EXISTS'));
    // The bundle of the device in the field is left as it was.
    expect(readFileSync(join(dir, 'sensor-b', 'secrets.yaml'), 'utf8')).toBe(before);
    await expect(provision.run(['sensor', '--household', 'hh-s', '--kind', 'rocket', '--out-dir', join(dir, 'x'), '--hub-url', t.url, '--wifi-ssid', 'a', '--wifi-password-file', join(dir, 'wifi.txt')])).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_CONFIG_INVALID'));
    await expect(provision.run(['sensor', '--household', 'nowhere', '--kind', 'door_sensor', '--device', 'sensor-z', '--out-dir', join(dir, 'sensor-z'), '--hub-url', t.url, '--wifi-ssid', 'a', '--wifi-password-file', join(dir, 'wifi.txt')])).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_HOUSEHOLD_UNKNOWN'));
    expect(() => statSync(join(dir, 'sensor-z'))).toThrow();
  });

  it('writes an agent SD-card bundle with --out-dir and times it', async () => {
    const outDir = join(dir, 'agent-a');
    expect(await provision.run(['agent', '--household', 'hh-s', '--device', 'agent-a', '--hub-url', t.url, '--out-dir', outDir, '--ssh-key', join(dir, 'id.pub'), '--json'])).toBe(0);
    const r = json();
    expect(r.deviceId).toBe('agent-a');
    const config = JSON.parse(readFileSync(join(outDir, 'khoa', 'agent.json'), 'utf8')) as { password: string };
    for (const line of out) expect(line).not.toContain(config.password);
    expect(readFileSync(join(outDir, 'user-data'), 'utf8')).toContain(KEY);
    console.info(`provisioning time per agent bundle: ${r.elapsedMs} ms (argon2id hash included)`);
    const client = await t.connect('agent-a', config.password);
    expect(client.connected).toBe(true);
    await expect(provision.run(['agent', '--household', 'hh-s', '--out-dir', join(dir, 'agent-b')])).rejects.toThrow(/--ssh-key/);
  });
});
