import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { lockEventValidator, parseTopic } from '@khoa/protocol';
import { ESPHOME_IDS, esphomeSensorConfig, SECRET_KEYS, sensorBundleFiles, writeBundle, type SensorConfigRequest } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'khoa-fc-esp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
const base: SensorConfigRequest = { householdId: 'hh-1', deviceId: 'sensor-front', kind: 'lock_with_door', lockId: 'front', hubUrl: 'mqtts://hub.xa.local:8883', ca: CA, wifiSsid: 'Nha Minh' };

/**
 * The ESPHome components and keys the generator may use, taken from the ESPHome
 * documentation (esphome.io/components: core esphome, esp32, wifi, ota/esphome, logger, mqtt,
 * binary_sensor/gpio, sensor/adc with its filters, time/sntp, globals, script, automations).
 * A key outside these lists is a typo or a component that does not exist, which ESPHome
 * would refuse at compile time, long after the bundle was handed out.
 */
const KNOWN: Record<string, string[]> = {
  top: ['substitutions', 'esphome', 'esp32', 'logger', 'wifi', 'ota', 'time', 'globals', 'mqtt', 'script', 'binary_sensor', 'sensor'],
  esphome: ['name', 'comment', 'on_boot'],
  on_boot: ['priority', 'then'],
  esp32: ['board', 'framework'],
  framework: ['type'],
  logger: ['level'],
  wifi: ['ssid', 'password'],
  ota: ['platform', 'password'],
  time: ['platform', 'id', 'timezone', 'servers'],
  globals: ['id', 'type', 'restore_value', 'initial_value'],
  mqtt: ['broker', 'port', 'client_id', 'username', 'password', 'discovery', 'discover_ip', 'log_topic', 'topic_prefix', 'keepalive', 'birth_message', 'will_message', 'shutdown_message', 'certificate_authority', 'on_connect'],
  message: ['topic', 'payload', 'qos', 'retain'],
  script: ['id', 'mode', 'max_runs', 'parameters', 'then'],
  binary_sensor: ['platform', 'id', 'name', 'internal', 'device_class', 'pin', 'filters', 'on_press', 'on_release'],
  pin: ['number', 'mode'],
  pinMode: ['input', 'pullup'],
  sensor: ['platform', 'id', 'name', 'internal', 'pin', 'attenuation', 'update_interval', 'filters', 'on_value'],
  filters: ['delayed_on_off', 'multiply', 'calibrate_linear', 'clamp', 'delta'],
  actions: ['lambda', 'script.execute', 'mqtt.publish_json', 'if'],
  conditions: ['binary_sensor.is_on'],
};

type Tagged = { secret: string } | { lambda: string };
// The parsed YAML is walked by shape, as ESPHome reads it; typing every component here would
// duplicate ESPHome's schema for nothing, so one loose alias stands for a YAML node.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;
const isLambda = (v: unknown): v is { lambda: string } => typeof v === 'object' && v !== null && 'lambda' in v && typeof (v as { lambda: unknown }).lambda === 'string';

/** Parses the YAML with ESPHome's two tags kept visible (plain yaml would drop them with a warning). */
function load(text: string): Record<string, Node> {
  const doc = parseDocument(text, {
    customTags: [
      { tag: '!secret', resolve: (s: string): Tagged => ({ secret: s }) },
      { tag: '!lambda', resolve: (s: string): Tagged => ({ lambda: s }) },
    ],
  });
  expect(doc.errors).toEqual([]);
  expect(doc.warnings).toEqual([]);
  return doc.toJS() as Record<string, Node>;
}

function keysWithin(obj: Record<string, unknown>, allowed: string, where: string): void {
  const list = KNOWN[allowed]!;
  for (const k of Object.keys(obj)) expect(list, `${where}.${k}`).toContain(k);
}

/** Checks an automation's action list (recursing into `if`), returning its script calls. */
function actions(list: unknown, where: string, calls: Record<string, unknown>[]): Record<string, unknown>[] {
  const items = Array.isArray(list) ? list : [list];
  for (const a of items as Record<string, Node>[]) {
    const [name, ...more] = Object.keys(a);
    expect(more, where).toEqual([]);
    expect(KNOWN.actions, `${where}: action ${name}`).toContain(name);
    if (name === 'script.execute') calls.push(a[name]);
    if (name === 'if') {
      for (const c of Object.keys(a.if.condition)) expect(KNOWN.conditions, `${where}: condition ${c}`).toContain(c);
      actions(a.if.then, `${where}.then`, calls);
      actions(a.if.else, `${where}.else`, calls);
    }
  }
  return calls;
}

/**
 * Renders the publish_json payload lambda for one script call, line by line. Every line must
 * be one of the shapes below, so a change to the C++ that this cannot follow fails here
 * instead of passing unread. `x` (a sensor's value) is a sample battery reading.
 */
function render(lambda: string, params: Record<string, unknown>, seq: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (expr: string): unknown => {
    if (expr === `id(${ESPHOME_IDS.seq})`) return seq;
    if (expr.includes(`id(${ESPHOME_IDS.time}).now().timestamp * 1000`)) return Math.floor(Date.now() / 1000) * 1000;
    const str = /^"([^"\\]*)"$/.exec(expr);
    if (str) return str[1];
    const round = /^roundf\((\w+)\)$/.exec(expr);
    if (round) return Math.round(Number(param(round[1]!)));
    return param(expr);
  };
  const param = (name: string): unknown => {
    expect(Object.keys(params), `payload uses ${name}`).toContain(name);
    const v = params[name];
    return isLambda(v) ? (v.lambda.trim() === 'return x;' ? 87.4 : NaN) : v;
  };
  for (const line of lambda.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^(?:if \((\w+) >= 0\) )?root\["(\w+)"\] = (.+);$/.exec(line);
    expect(m, `payload line not understood: ${line}`).not.toBeNull();
    const [, guard, key, expr] = m!;
    if (guard && !(Number(param(guard)) >= 0)) continue;
    out[key!] = value(expr!);
  }
  return out;
}

describe('ESPHome sensor config', () => {
  it('uses only known components and keys', () => {
    const c = load(esphomeSensorConfig(base));
    keysWithin(c, 'top', '');
    keysWithin(c.esphome, 'esphome', 'esphome');
    keysWithin(c.esphome.on_boot, 'on_boot', 'esphome.on_boot');
    keysWithin(c.esp32, 'esp32', 'esp32');
    keysWithin(c.esp32.framework, 'framework', 'esp32.framework');
    keysWithin(c.logger, 'logger', 'logger');
    keysWithin(c.wifi, 'wifi', 'wifi');
    for (const o of c.ota) keysWithin(o, 'ota', 'ota');
    for (const t of c.time) keysWithin(t, 'time', 'time');
    for (const g of c.globals) keysWithin(g, 'globals', 'globals');
    keysWithin(c.mqtt, 'mqtt', 'mqtt');
    for (const m of ['birth_message', 'will_message', 'shutdown_message']) keysWithin(c.mqtt[m], 'message', `mqtt.${m}`);
    for (const s of c.script) keysWithin(s, 'script', 'script');
    for (const b of c.binary_sensor) {
      keysWithin(b, 'binary_sensor', 'binary_sensor');
      keysWithin(b.pin, 'pin', 'binary_sensor.pin');
      keysWithin(b.pin.mode, 'pinMode', 'binary_sensor.pin.mode');
    }
    for (const s of c.sensor) keysWithin(s, 'sensor', 'sensor');
    for (const f of [...c.binary_sensor, ...c.sensor].flatMap((s: Node) => s.filters)) keysWithin(f, 'filters', 'filters');
    expect(c.time[0].platform).toBe('sntp');
    expect(c.ota[0].platform).toBe('esphome');
    expect(c.sensor[0].platform).toBe('adc');
    expect(c.binary_sensor.map((b: Node) => b.platform)).toEqual(['gpio', 'gpio', 'gpio']);
    expect(c.esp32.framework.type).toBe('esp-idf');
    // No Home Assistant API (not needed, and an open port), no fallback hotspot.
    expect(c.api).toBeUndefined();
    expect(c.wifi.ap).toBeUndefined();
  });

  it('speaks only contract topics: retained status birth/will, lock events valid as LockEvent', () => {
    const c = load(esphomeSensorConfig(base));
    const me = { householdId: 'hh-1', deviceId: 'sensor-front' };
    expect(c.mqtt).toMatchObject({ client_id: 'sensor-front', username: 'sensor-front', password: { secret: SECRET_KEYS.mqtt }, discovery: false, discover_ip: false, log_topic: null, broker: 'hub.xa.local', port: 8883, certificate_authority: CA.trim() });
    for (const [m, payload] of [['birth_message', 'online'], ['will_message', 'offline'], ['shutdown_message', 'offline']] as const) {
      expect(parseTopic(c.mqtt[m].topic)).toEqual({ ...me, kind: 'status' });
      expect(c.mqtt[m]).toMatchObject({ payload, retain: true });
    }
    // Every entity is internal, so ESPHome publishes no state topic of its own.
    for (const e of [...c.binary_sensor, ...c.sensor]) expect(e.internal).toBe(true);

    const script = c.script.find((s: Node) => s.id === ESPHOME_IDS.event);
    const steps = script.then as Record<string, Node>[];
    expect(steps[0]!.lambda.lambda.trim()).toBe(`id(${ESPHOME_IDS.seq}) += 1;`);
    const publish = steps[1]!['mqtt.publish_json'];
    expect(parseTopic(publish.topic)).toEqual({ ...me, kind: 'lock_event', lockId: 'front' });
    expect(publish.qos).toBe(1);
    expect(c.globals).toEqual([{ id: ESPHOME_IDS.seq, type: 'uint32_t', restore_value: true, initial_value: '0' }]);

    const calls: Record<string, unknown>[] = [];
    for (const b of c.binary_sensor) for (const t of ['on_press', 'on_release']) if (b[t]) actions(b[t], `${b.id}.${t}`, calls);
    for (const s of c.sensor) actions(s.on_value, `${s.id}.on_value`, calls);
    actions(c.mqtt.on_connect.then, 'mqtt.on_connect', calls);
    actions(c.esphome.on_boot.then, 'esphome.on_boot', calls);
    const types = new Set<unknown>();
    let seq = 1000;
    for (const call of calls) {
      expect(call.id).toBe(ESPHOME_IDS.event);
      const event = render(publish.payload.lambda, call, ++seq);
      const checked = lockEventValidator.check(event);
      expect(checked.ok, `${JSON.stringify(event)}: ${JSON.stringify(checked)}`).toBe(true);
      types.add(event.type);
      if (event.type === 'battery') expect(event.battery).toBe(87);
      else expect(event).not.toHaveProperty('battery');
    }
    expect([...types].sort()).toEqual(['battery', 'door_closed', 'door_open', 'locked', 'tamper', 'unlocked']);
  });

  it('keeps seq increasing across reboots and takes ts from SNTP', () => {
    const c = load(esphomeSensorConfig(base));
    expect(c.esphome.on_boot.then[0].lambda.lambda).toContain(`id(${ESPHOME_IDS.seq}) += 1000;`);
    expect(c.time[0].id).toBe(ESPHOME_IDS.time);
    const { lambda } = c.script[0].then[1]['mqtt.publish_json'].payload;
    expect(lambda).toContain(`id(${ESPHOME_IDS.time}).now().is_valid()`);
  });

  it('a door sensor has no bolt; plain mqtt:// has no CA; bad input is refused with coded errors', () => {
    const c = load(esphomeSensorConfig({ ...base, kind: 'door_sensor', hubUrl: 'mqtt://192.168.1.10', ca: undefined }));
    expect(c.binary_sensor.map((b: Node) => b.id)).toEqual([ESPHOME_IDS.door, ESPHOME_IDS.tamper]);
    expect(c.mqtt.port).toBe(1883);
    expect(c.mqtt.certificate_authority).toBeUndefined();
    expect(() => esphomeSensorConfig({ ...base, ca: undefined })).toThrow(/needs --ca/);
    expect(() => esphomeSensorConfig({ ...base, hubUrl: 'http://hub' })).toThrow(/mqtts:\/\//);
    expect(() => esphomeSensorConfig({ ...base, kind: 'rocket' as never })).toThrow(/--kind/);
    expect(() => esphomeSensorConfig({ ...base, lockId: 'Front Door' })).toThrow(/lockId/);
    expect(() => esphomeSensorConfig({ ...base, deviceId: 'a'.repeat(40) })).toThrow(/31/);
    expect(() => esphomeSensorConfig({ ...base, wifiSsid: 'Nha ${x}' })).toThrow(/substitutions/);
  });

  it('writes secrets.yaml 0600 with fresh passwords; the config holds none', async () => {
    const a = sensorBundleFiles({ ...base, wifiPassword: 'correct horse battery' });
    const b = sensorBundleFiles({ ...base, wifiPassword: 'correct horse battery' });
    expect(a.mqttPassword).not.toBe(b.mqttPassword);
    const out = join(dir, 'sensor');
    await writeBundle(out, a.files);
    expect(statSync(join(out, 'secrets.yaml')).mode & 0o777).toBe(0o600);
    const secrets = parse(readFileSync(join(out, 'secrets.yaml'), 'utf8')) as Record<string, string>;
    expect(secrets[SECRET_KEYS.mqtt]).toBe(a.mqttPassword);
    expect(secrets[SECRET_KEYS.wifi]).toBe('correct horse battery');
    expect(secrets[SECRET_KEYS.ota]!.length).toBeGreaterThanOrEqual(32);
    const yamlText = readFileSync(join(out, 'sensor-front.yaml'), 'utf8');
    for (const v of Object.values(secrets)) expect(yamlText).not.toContain(v);
    // Every !secret the config uses is in secrets.yaml.
    for (const m of yamlText.matchAll(/!secret (\w+)/g)) expect(Object.keys(secrets)).toContain(m[1]);
    expect(readFileSync(join(out, 'README.txt'), 'utf8')).not.toContain(a.mqttPassword);
    expect(() => sensorBundleFiles({ ...base, wifiPassword: 'short' })).toThrow(/8 to 63/);
  });
});
