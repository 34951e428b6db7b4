import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { sql } from 'kysely';
import { encodeFrame, topics, type DeviceRef } from '@khoa/protocol';
import { openDb, type Db } from '../hub/src/storage/open.ts';
import { addArea } from '../hub/src/storage/areas.ts';
import { addHousehold } from '../hub/src/storage/households.ts';
import { addDevice } from '../hub/src/storage/devices.ts';
import { PG_URL } from '../hub/src/testing/databases.ts';
import { endBrokerSessions, hubMetric, startHubProcess, type HubProcess } from '../hub/src/scale-out/hub-process.ts';

/**
 * Scale-out mode (issue 8, item 4) against the machine's real Mosquitto (127.0.0.1:1883, MQTT 5,
 * anonymous on loopback) and real PostgreSQL: two hub PROCESSES share one schema and one
 * broker. Ids are unique per run, so parallel runs on the same Mosquitto do not collide.
 */
const BROKER_URL = process.env.KHOA_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const run = randomBytes(3).toString('hex');
const schema = `khoa_scale_${run}`;
const HOUSEHOLDS = 12;
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

const startHub = (name: string) =>
  startHubProcess({
    name,
    brokerUrl: BROKER_URL,
    dbUrl: PG_URL,
    dbSchema: schema,
    clientId: `khoa-test-${run}-${name}`,
    // Its own share group: another run's hubs (or their leftover sessions) must not take our frames.
    shareGroup: `khoa-test-${run}`,
    pipelineWorkers: 0,
    // Short rule timers, so the sweep that finishes a dead hub's events runs within the test.
    env: { KHOA_RULES_TICK_MS: '1000', KHOA_RULES_RESUME_LEASE_MS: '2000' },
  });

const framesIn = (hub: HubProcess) => hubMetric(hub, 'khoa_mqtt_messages_in_total', { kind: 'cam_frame' });

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function connectDevice(d: DeviceRef): Promise<MqttClient> {
  // Mosquitto keeps QoS 1 publishes of a persistent device session; the agent works this way.
  return mqtt.connectAsync(BROKER_URL, { protocolVersion: 5, clientId: `${run}-${d.deviceId}`, clean: true, reconnectPeriod: 200 });
}

const publishEvent = (c: MqttClient, d: DeviceRef, lockId: string, seq: number, type: string) =>
  c.publishAsync(topics.lockEvent(d, lockId), JSON.stringify({ seq, ts: Date.now(), type, source: 'simulator' }), { qos: 1 });

describe('scale-out: two hub processes on Mosquitto and PostgreSQL', () => {
  let db: Db;
  const hubs: HubProcess[] = [];
  const devices: DeviceRef[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    db = await openDb({ url: PG_URL, schema, busyTimeoutMs: 5000 }, tmpdir());
    await addArea(db.kysely, { id: `commune-${run}`, level: 'commune', name: 'Xã Thử', kind: 'rural' });
    for (let i = 0; i < HOUSEHOLDS; i++) {
      const d = { householdId: `hh-${run}-${i}`, deviceId: `dev-${run}-${i}` };
      await addHousehold(db.kysely, { id: d.householdId, areaId: `commune-${run}`, address: `${i} Đường Thử` });
      // The external broker authenticates devices; the hub still needs the device row (household binding, revocation).
      await addDevice(db.kysely, { id: d.deviceId, householdId: d.householdId, credentialHash: 'external-broker' });
      devices.push(d);
    }
    hubs.push(...(await Promise.all([startHub('a'), startHub('b')])));
    clients.push(...(await Promise.all(devices.map(connectDevice))));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    // The survivor stops cleanly on SIGTERM (the killed one reports no exit code).
    expect(await Promise.all(hubs.map((h) => h.stop()))).toEqual([null, 0]);
    await endBrokerSessions(BROKER_URL, hubs.map((h) => h.clientId));
    await db?.close();
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  }, 30_000);

  const count = async (table: 'events' | 'alerts', kind?: string) => {
    let q = db.kysely.selectFrom(table).select(sql<number>`count(*)`.as('n'));
    if (kind) q = q.where(sql.ref('kind'), '=', kind);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };

  it('stores every event once, raises each forced-door alert once, and spreads frames over both hubs', async () => {
    await Promise.all(devices.map((d, i) => publishEvent(clients[i]!, d, 'front', 1, 'forced')));
    await waitFor(async () => (await count('alerts', 'door_forced')) >= HOUSEHOLDS && (await count('events')) >= HOUSEHOLDS, 15_000, 'events and alerts');

    // Frames: QoS 0 on the shared subscription, so each goes to one hub.
    for (let seq = 0; seq < 40; seq++) {
      const d = devices[seq % 4]!;
      clients[seq % 4]!.publish(topics.camFrame(d, 'cam1'), encodeFrame({ seq, ts: Date.now(), width: 2, height: 2, keyframe: true, motion: false }, JPEG), { qos: 0 });
    }
    await waitFor(async () => (await framesIn(hubs[0]!)) + (await framesIn(hubs[1]!)) >= 40, 10_000, 'frames');
    const [a, b] = [await framesIn(hubs[0]!), await framesIn(hubs[1]!)];
    expect(a + b).toBe(40);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);

    expect(await count('events')).toBe(HOUSEHOLDS);
    expect(await count('alerts', 'door_forced')).toBe(HOUSEHOLDS);

    // Heartbeats are shared too: each is handled by one hub, and last_seen_at is set.
    const heartbeats = async () => (await hubMetric(hubs[0]!, 'khoa_mqtt_messages_in_total', { kind: 'heartbeat' })) + (await hubMetric(hubs[1]!, 'khoa_mqtt_messages_in_total', { kind: 'heartbeat' }));
    devices.forEach((d, i) => clients[i]!.publish(topics.heartbeat(d), JSON.stringify({ ts: Date.now(), uptimeS: 1, queued: 0, dropped: 0 }), { qos: 0 }));
    await waitFor(async () => (await heartbeats()) >= HOUSEHOLDS, 10_000, 'heartbeats').catch(() => {});
    expect(await heartbeats()).toBe(HOUSEHOLDS);
    const seen = await db.kysely.selectFrom('devices').select('id').where('last_seen_at', 'is not', null).execute();
    expect(seen).toHaveLength(HOUSEHOLDS);
  }, 30_000);

  it('loses and doubles nothing when one hub is killed mid-stream', async () => {
    const ROUNDS = 10;
    const before = await count('events');
    const stream = (async () => {
      for (let r = 0; r < ROUNDS; r++) {
        // Each round: a state change on every household, and a forced door on a new lock (a new alert subject).
        await Promise.all(devices.map((d, i) => publishEvent(clients[i]!, d, 'front', 2 + 2 * r, r % 2 ? 'locked' : 'unlocked')));
        await Promise.all(devices.map((d, i) => publishEvent(clients[i]!, d, `back${r}`, 3 + 2 * r, 'forced')));
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    await new Promise((res) => setTimeout(res, 450));
    hubs[0]!.child.kill('SIGKILL');
    await stream;
    const expectedEvents = before + ROUNDS * 2 * HOUSEHOLDS;
    const expectedAlerts = HOUSEHOLDS * (1 + ROUNDS);
    await waitFor(async () => (await count('events')) >= expectedEvents && (await count('alerts', 'door_forced')) >= expectedAlerts, 20_000, 'events and alerts after the kill').catch(() => {});

    const events = await count('events');
    const perSubject = await db.kysely
      .selectFrom('alerts')
      .select(['device_id', 'subject', sql<number>`count(*)`.as('n')])
      .where('kind', '=', 'door_forced')
      .groupBy(['device_id', 'subject'])
      .execute();
    const doubled = perSubject.filter((r) => Number(r.n) > 1).length;
    const lost = expectedAlerts - perSubject.length;
    console.info(`kill test: events ${events}/${expectedEvents}, door_forced alerts lost ${lost}, doubled ${doubled}`);
    expect(events).toBe(expectedEvents);
    expect(doubled).toBe(0);
    // A hub killed between storing an event and running its rules leaves the event without its
    // rules_done_at mark; the survivor's sweep runs those rules after the lease (2 s here).
    expect(lost).toBe(0);
    // The survivor takes every frame at once: the dead hub's frame session ended with its socket.
    const framesBefore = await framesIn(hubs[1]!);
    for (let seq = 1000; seq < 1020; seq++) {
      clients[0]!.publish(topics.camFrame(devices[0]!, 'cam1'), encodeFrame({ seq, ts: Date.now(), width: 2, height: 2, keyframe: true, motion: false }, JPEG), { qos: 0 });
    }
    await waitFor(async () => (await framesIn(hubs[1]!)) >= framesBefore + 20, 5000, 'frames at the surviving hub').catch(() => {});
    expect(await framesIn(hubs[1]!)).toBe(framesBefore + 20);
  }, 45_000);
});
