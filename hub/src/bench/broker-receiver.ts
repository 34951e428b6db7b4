/**
 * Child process of the broker benchmark: the receiving end, so the publishers' load (in the
 * parent) is the same for both brokers and the broker under test gets its own process.
 *
 * mode `hub`: starts a real hub (auth, ACL, validation, SQLite storage) and receives through an
 * in-process subscription on its broker, i.e. after the hub has checked and stored the message.
 * mode `mqtt`: subscribes with an mqtt.js client to an external broker (Mosquitto).
 * mode `aedes`: a bare aedes of the same version, no auth, no hooks, received in-process like
 * the hub: what the broker library costs, so the hub's own share of the gap can be read off.
 *
 * Arrival times are recorded per topic, in order: MQTT keeps one publisher's order on a topic
 * [MQTT-4.6.0-5], so the k-th arrival on a topic is the k-th message sent on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServer, type AddressInfo, type Server } from 'node:net';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { newDevicePassword } from '@khoa/firmware-config';
import { startHub, type Hub } from '../hub.ts';
import { validateSettings } from '../settings/load.ts';
import { createLogger } from '../log.ts';
import { addArea } from '../storage/areas.ts';
import { addHousehold } from '../storage/households.ts';
import { addDevice } from '../storage/devices.ts';
import { hashDevicePassword } from '../broker/credentials.ts';

export type ReceiverRequest =
  | { cmd: 'start-hub'; publishers: number }
  | { cmd: 'start-mqtt'; url: string }
  | { cmd: 'start-aedes' }
  | { cmd: 'subscribe'; filter: string; qos: 0 | 1 }
  | { cmd: 'count' }
  | { cmd: 'collect' }
  | { cmd: 'stop' };

export type ReceiverReply =
  | { ok: 'started'; url: string; devices: Array<{ householdId: string; deviceId: string; password: string }> }
  | { ok: 'subscribed' }
  | { ok: 'count'; n: number }
  | { ok: 'collected'; arrivals: Record<string, number[]>; rssBytes: number; cpuMicros: number; sysMicros: number }
  | { ok: 'stopped' }
  | { error: string };

const now = () => performance.timeOrigin + performance.now();
let arrivals: Record<string, number[]> = {};
const record = (topic: string) => (arrivals[topic] ??= []).push(now());

let hub: Hub | undefined;
let bare: { aedes: Aedes; server: Server } | undefined;
let dataDir: string | undefined;
let client: mqtt.MqttClient | undefined;
let unsubscribe: (() => void) | undefined;
let cpuAtStart = process.cpuUsage();

/** Device names for the brokers without the hub's accounts (anonymous clients, ids only). */
function anonymousDevices(): Array<{ householdId: string; deviceId: string; password: string }> {
  return Array.from({ length: 64 }, (_, i) => ({ householdId: `bench-hh-${i}`, deviceId: `bench-dev-${i}`, password: '' }));
}

async function handle(req: ReceiverRequest): Promise<ReceiverReply> {
  switch (req.cmd) {
    case 'start-hub': {
      dataDir = mkdtempSync(join(tmpdir(), 'khoa-bench-'));
      const settings = validateSettings({ dataDir, logLevel: 'silent', pipeline: { workers: 0 }, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } });
      hub = await startHub(settings, { logger: createLogger('silent') });
      const db = hub.db.kysely;
      await addArea(db, { id: 'bench-commune', level: 'commune', name: 'Bench', kind: 'rural' });
      const devices = [];
      for (let i = 0; i < req.publishers; i++) {
        const householdId = `bench-hh-${i}`;
        const deviceId = `bench-dev-${i}`;
        const password = newDevicePassword();
        await addHousehold(db, { id: householdId, areaId: 'bench-commune', address: `bench ${i}` });
        await addDevice(db, { id: deviceId, householdId, credentialHash: await hashDevicePassword(password) });
        devices.push({ householdId, deviceId, password });
      }
      return { ok: 'started', url: `mqtt://127.0.0.1:${hub.mqttPort}`, devices };
    }
    case 'start-aedes': {
      const aedes = await Aedes.createBroker();
      const server = createServer(aedes.handle);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      bare = { aedes, server };
      const devices = anonymousDevices();
      return { ok: 'started', url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, devices };
    }
    case 'start-mqtt': {
      client = await mqtt.connectAsync(req.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
      client.on('message', (topic) => record(topic));
      const devices = anonymousDevices();
      return { ok: 'started', url: req.url, devices };
    }
    case 'subscribe': {
      unsubscribe?.();
      arrivals = {};
      cpuAtStart = process.cpuUsage();
      const aedes = hub?.broker.aedes ?? bare?.aedes;
      if (aedes) {
        const deliver = (packet: { topic: string }, cb: () => void) => {
          record(packet.topic);
          cb();
        };
        await new Promise<void>((resolve) => aedes.subscribe(req.filter, deliver as never, () => resolve()));
        unsubscribe = () => aedes.unsubscribe(req.filter, deliver as never, () => {});
      } else if (client) {
        const c = client;
        await c.subscribeAsync(req.filter, { qos: req.qos });
        unsubscribe = () => void c.unsubscribeAsync(req.filter).catch(() => {});
      }
      return { ok: 'subscribed' };
    }
    case 'count':
      return { ok: 'count', n: Object.values(arrivals).reduce((a, v) => a + v.length, 0) };
    case 'collect': {
      const cpu = process.cpuUsage(cpuAtStart);
      const out = arrivals;
      arrivals = {};
      return { ok: 'collected', arrivals: out, rssBytes: process.memoryUsage().rss, cpuMicros: cpu.user + cpu.system, sysMicros: cpu.system };
    }
    case 'stop': {
      unsubscribe?.();
      await client?.endAsync().catch(() => {});
      await hub?.stop();
      if (bare) {
        await new Promise<void>((resolve) => bare!.aedes.close(() => resolve()));
        await new Promise<void>((resolve) => bare!.server.close(() => resolve()));
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      return { ok: 'stopped' };
    }
  }
}

process.on('message', (req: ReceiverRequest) => {
  handle(req).then(
    (reply) => process.send?.(reply),
    (err: unknown) => process.send?.({ error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
