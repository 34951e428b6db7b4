/**
 * Child process of the broker benchmark: the receiving end, so the publishers' load (in the
 * parent) is the same for both brokers and the broker under test gets its own process.
 *
 * mode `hub`: starts a real hub (auth, ACL, validation, SQLite storage) and receives through an
 * in-process subscription on its broker, i.e. after the hub has checked and stored the message
 * (a QoS 0 lock event once its write is queued: it commits in the same turn or the next).
 * mode `mqtt`: subscribes with an mqtt.js client to an external broker (Mosquitto).
 * mode `hub-broker`: the hub's broker alone, with the hub's authentication, ACL and payload
 * validation but nothing stored (its own accounts database): what the goal's "auth and
 * validation on" costs, apart from what storing every event costs.
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
import { startBroker, type Broker } from '../broker/broker.ts';
import type { BeforeAck } from '../broker/authorize-publish.ts';
import { openDb, type Db } from '../storage/open.ts';
import type { Database } from '../storage/tables.ts';
import { createMetrics } from '../metrics.ts';
import { parsePayload } from '../ingest/payload.ts';
import { decodeFrame, lockEventValidator } from '@khoa/protocol';
import type { Kysely } from 'kysely';

export type ReceiverRequest =
  | { cmd: 'start-hub'; publishers: number }
  | { cmd: 'start-hub-broker'; publishers: number }
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
let hubBroker: { broker: Broker; db: Db } | undefined;
let bare: { aedes: Aedes; server: Server } | undefined;
let dataDir: string | undefined;
let client: mqtt.MqttClient | undefined;
let unsubscribe: (() => void) | undefined;
let cpuAtStart = process.cpuUsage();

/** Device names for the brokers without the hub's accounts (anonymous clients, ids only). */
function anonymousDevices(): Array<{ householdId: string; deviceId: string; password: string }> {
  return Array.from({ length: 64 }, (_, i) => ({ householdId: `bench-hh-${i}`, deviceId: `bench-dev-${i}`, password: '' }));
}

/** One commune with `n` households of one device each, with fresh credentials. */
async function addBenchDevices(db: Kysely<Database>, n: number): Promise<Array<{ householdId: string; deviceId: string; password: string }>> {
  await addArea(db, { id: 'bench-commune', level: 'commune', name: 'Bench', kind: 'rural' });
  const devices = [];
  for (let i = 0; i < n; i++) {
    const householdId = `bench-hh-${i}`;
    const deviceId = `bench-dev-${i}`;
    const password = newDevicePassword();
    await addHousehold(db, { id: householdId, areaId: 'bench-commune', address: `bench ${i}` });
    await addDevice(db, { id: deviceId, householdId, credentialHash: await hashDevicePassword(password) });
    devices.push({ householdId, deviceId, password });
  }
  return devices;
}

async function handle(req: ReceiverRequest): Promise<ReceiverReply> {
  switch (req.cmd) {
    case 'start-hub': {
      dataDir = mkdtempSync(join(tmpdir(), 'khoa-bench-'));
      const settings = validateSettings({ dataDir, logLevel: 'info', pipeline: { workers: 0 }, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } });
      // The deployed default level, to this process's stdout (/dev/null): logging is part of the cost.
      hub = await startHub(settings, { logger: createLogger('info') });
      const devices = await addBenchDevices(hub.db.kysely, req.publishers);
      return { ok: 'started', url: `mqtt://127.0.0.1:${hub.mqttPort}`, devices };
    }
    case 'start-hub-broker': {
      dataDir = mkdtempSync(join(tmpdir(), 'khoa-bench-'));
      const settings = validateSettings({ dataDir, logLevel: 'info', pipeline: { workers: 0 }, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } });
      const db = await openDb(settings.db, dataDir);
      const devices = await addBenchDevices(db.kysely, req.publishers);
      const metrics = createMetrics({ connectedClients: () => hubBroker?.broker.aedes.connectedClients ?? 0 });
      // Validates what the hub's ingest would (size, UTF-8, JSON, schema) and stores nothing.
      const validateOnly: BeforeAck = async (_who, topic, packet) => {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        let valid = true;
        try {
          if (topic.kind === 'lock_event') parsePayload(lockEventValidator, payload, settings.mqtt.maxJsonBytes);
          else if (topic.kind === 'cam_frame') valid = decodeFrame(payload).ok;
        } catch {
          valid = false;
        }
        if (!valid) metrics.payloadRejected.inc({ kind: topic.kind, reason: 'schema' });
      };
      const broker = await startBroker({ db: db.kysely, settings, metrics, log: createLogger('info'), beforeAck: validateOnly });
      hubBroker = { broker, db };
      return { ok: 'started', url: `mqtt://127.0.0.1:${broker.ports.tcp}`, devices };
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
      const aedes = hub?.broker.aedes ?? hubBroker?.broker.aedes ?? bare?.aedes;
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
      if (hubBroker) {
        await hubBroker.broker.close();
        await hubBroker.db.close();
      }
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
