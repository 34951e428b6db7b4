import { randomBytes } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { encodeFrame, topics, type DeviceRef } from '@khoa/protocol';
import type { Database } from '../storage/tables.ts';
import { openDb } from '../storage/open.ts';
import { addArea } from '../storage/areas.ts';
import { addHousehold } from '../storage/households.ts';
import { addDevice } from '../storage/devices.ts';
import { PG_URL } from '../testing/databases.ts';
import { fileFrames, makeClip, media, toJpeg } from '../pipeline/testing/media.ts';
import { endBrokerSessions, hubMetric, startHubProcess, type HubProcess } from './hub-process.ts';

export interface ScaleOutBenchOptions {
  seconds: number;
  brokerUrl?: string;
  dbUrl?: string;
  cameras?: number;
  /** Frames per second each camera offers (more than the hubs can analyse, so the figure is their capacity). */
  fpsPerCamera?: number;
  log(line: string): void;
}

/**
 * Frames per second through the detection stage with one and with two hub processes on the
 * same external broker and PostgreSQL schema (each hub one pipeline worker), fed by simulated
 * cameras publishing people-filled 640x360 frames faster than the hubs can take them. The
 * pipeline keeps the newest frame per camera and drops older ones, so analysed/s is capacity.
 */
export async function benchScaleOut(o: ScaleOutBenchOptions): Promise<Record<string, unknown>> {
  const brokerUrl = o.brokerUrl ?? 'mqtt://127.0.0.1:1883';
  const dbUrl = o.dbUrl ?? PG_URL;
  const cameras = o.cameras ?? 8;
  const fps = o.fpsPerCamera ?? 10;
  const run = randomBytes(3).toString('hex');
  const schema = `khoa_bench_${run}`;

  o.log('scale-out: making frames');
  const clip = await makeClip(['-i', media('vtest-58s-12s.mp4'), '-vf', 'scale=640:360,setsar=1,fps=5', '-t', '8', '-c:v', 'mjpeg', '-q:v', '3'], 'busy-640.mkv');
  const jpegs = await Promise.all((await fileFrames(clip)).map((f) => toJpeg(f.image, 85)));

  const db = await openDb({ url: dbUrl, schema, busyTimeoutMs: 5000 }, tmpdir());
  const devices: DeviceRef[] = [];
  const clients: MqttClient[] = [];
  const results: Record<string, number> = {};
  try {
    await addArea(db.kysely, { id: `bench-${run}`, level: 'commune', name: 'bench', kind: 'rural' });
    for (let i = 0; i < cameras; i++) {
      const d = { householdId: `bh-${run}-${i}`, deviceId: `bd-${run}-${i}` };
      await addHousehold(db.kysely, { id: d.householdId, areaId: `bench-${run}`, address: 'bench' });
      await addDevice(db.kysely, { id: d.deviceId, householdId: d.householdId, credentialHash: 'external-broker' });
      devices.push(d);
      clients.push(await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clientId: `${run}-${d.deviceId}`, clean: true }));
    }
    for (const n of [1, 2]) {
      const group = `khoa-bench-${run}-${n}`;
      const hubs: HubProcess[] = [];
      try {
        for (let i = 0; i < n; i++) {
          hubs.push(await startHubProcess({ name: `${n}-${i}`, brokerUrl, dbUrl, dbSchema: schema, clientId: `khoa-bench-${run}-${n}-${i}`, shareGroup: group, pipelineWorkers: 1 }));
        }
        let seq = 0;
        const timer = setInterval(() => {
          devices.forEach((d, c) => {
            const jpeg = jpegs[seq % jpegs.length]!;
            clients[c]!.publish(topics.camFrame(d, 'cam1'), encodeFrame({ seq, ts: Date.now(), width: 640, height: 360, keyframe: false, motion: true }, jpeg), { qos: 0 });
          });
          seq++;
        }, 1000 / fps);
        // Warm-up: each worker loads the detector and the first frames pay for JIT.
        await new Promise((r) => setTimeout(r, 4000));
        const analysed = async () => (await Promise.all(hubs.map((h) => hubMetric(h, 'khoa_pipeline_frames_total', { result: 'analysed' })))).reduce((a, b) => a + b, 0);
        const perHub0 = await Promise.all(hubs.map((h) => hubMetric(h, 'khoa_pipeline_frames_total', { result: 'analysed' })));
        const a0 = await analysed();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, o.seconds * 1000));
        const a1 = await analysed();
        const perHub1 = await Promise.all(hubs.map((h) => hubMetric(h, 'khoa_pipeline_frames_total', { result: 'analysed' })));
        clearInterval(timer);
        const rate = (a1 - a0) / ((performance.now() - t0) / 1000);
        results[`hubs${n}`] = Math.round(rate * 10) / 10;
        o.log(`scale-out: ${n} hub(s): ${rate.toFixed(1)} analysed frames/s (per hub ${perHub1.map((v, i) => v - perHub0[i]!).join(', ')})`);
      } finally {
        for (const h of hubs) await h.stop();
        await endBrokerSessions(brokerUrl, hubs.map((h) => h.clientId));
      }
    }
    results.eventsPerS = await eventRate(db.kysely, { brokerUrl, dbUrl, schema, run, devices, clients, log: o.log });
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await db.close();
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  }
  return {
    cores: availableParallelism(),
    cameras,
    offeredFps: cameras * fps,
    seconds: o.seconds,
    oneHubFramesPerS: results.hubs1,
    twoHubsFramesPerS: results.hubs2,
    ratio: results.hubs1 ? Math.round(((results.hubs2 ?? 0) / results.hubs1) * 100) / 100 : null,
    oneHubLockEventsPerS: results.eventsPerS,
  };
}

/**
 * QoS 1 lock events through one hub's bridge into PostgreSQL, stored per second. 800 events:
 * under Mosquitto's default queue bound (1000 per client, beyond which it drops them).
 */
async function eventRate(
  db: Kysely<Database>,
  o: { brokerUrl: string; dbUrl: string; schema: string; run: string; devices: DeviceRef[]; clients: MqttClient[]; log(line: string): void },
): Promise<number> {
  const stored = async () => Number((await db.selectFrom('events').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  const hub = await startHubProcess({ name: 'events', brokerUrl: o.brokerUrl, dbUrl: o.dbUrl, dbSchema: o.schema, clientId: `khoa-bench-${o.run}-events`, shareGroup: `khoa-bench-${o.run}-events`, pipelineWorkers: 0 });
  try {
    const perDevice = Math.floor(800 / o.devices.length);
    const before = await stored();
    const t0 = performance.now();
    await Promise.all(
      o.clients.map(async (c, i) => {
        for (let seq = 0; seq < perDevice; seq++) await c.publishAsync(topics.lockEvent(o.devices[i]!, 'front'), JSON.stringify({ seq, ts: Date.now(), type: seq % 2 ? 'locked' : 'unlocked' }), { qos: 1 });
      }),
    );
    const want = before + perDevice * o.devices.length;
    while ((await stored()) < want && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
    const rate = ((await stored()) - before) / ((performance.now() - t0) / 1000);
    o.log(`scale-out: one hub stores ${rate.toFixed(0)} lock events/s`);
    return Math.round(rate);
  } finally {
    await hub.stop();
    await endBrokerSessions(o.brokerUrl, [hub.clientId]);
  }
}
