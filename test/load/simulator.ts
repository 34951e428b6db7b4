import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import pidusage from 'pidusage';
import { encodeFrame, topics } from '@khoa/protocol';
import { storage, hashDevicePassword } from '@khoa/hub';
import { newDevicePassword } from '@khoa/firmware-config';
import { startHubProcess } from './hub-process.ts';
import { hubMetric } from '../../hub/src/scale-out/hub-process.ts';

export interface LoadOptions {
  agents: number;
  /** Agents that also have a camera sending motion frames. */
  cameras: number;
  fps: number;
  /** How long the steady phase lasts after every agent is connected. */
  seconds: number;
  /** Lock events per agent per minute in the steady phase. */
  eventsPerAgentPerMinute: number;
  /** Share of lock events that are forced doors (each raises an alert). */
  forcedShare: number;
  /** JPEG frames the cameras cycle through. */
  frames: Buffer[];
  frameSize: { width: number; height: number };
  pipelineWorkers: number;
  /** Parallel CONNECTs while the agents come up (a reconnect storm is the worst case). */
  connectConcurrency?: number;
  progress?: (line: string) => void;
}

export interface LoadFigures {
  agents: number;
  cameras: number;
  connectSeconds: number;
  connectionsHeld: number;
  connectionsLost: number;
  eventsSent: number;
  eventsStored: number;
  eventsPerSecond: number;
  forcedSent: number;
  alertsRaised: number;
  alertLatencyP50Ms: number;
  alertLatencyP99Ms: number;
  framesSent: number;
  framesAnalysed: number;
  framesDropped: number;
  hubCpuPercentMean: number;
  hubCpuPercentMax: number;
  hubRssMBMax: number;
  hubExitCode: number | null;
  /** Time from SIGTERM to exit (graceful stop under load). */
  hubStopSeconds: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * N simulated households against one hub process over loopback: each agent is a real mqtt.js
 * client with its own credentials, Last Will and retained status, registration, heartbeats
 * and QoS 1 lock events; some also send camera frames with motion. Returns the figures.
 */
export async function runLoad(o: LoadOptions): Promise<LoadFigures> {
  const say = o.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'khoa-load-'));
  const clients: MqttClient[] = [];
  let hubProc: Awaited<ReturnType<typeof startHubProcess>> | undefined;
  try {
    // Households and devices straight into the hub's database before it starts. One password
    // hash for all keeps setup fast; the hub still verifies each device's CONNECT with argon2id.
    const password = newDevicePassword();
    const hash = await hashDevicePassword(password);
    const db = await storage.openDb({ url: '', busyTimeoutMs: 5000 }, dataDir);
    await storage.addArea(db.kysely, { id: 'load-commune', level: 'commune', name: 'Xã Tải', kind: 'rural' });
    const now = Date.now();
    for (let i = 0; i < o.agents; i += 500) {
      const n = Math.min(500, o.agents - i);
      await db.kysely.insertInto('households').values(Array.from({ length: n }, (_, k) => ({ id: `load-hh-${i + k}`, area_id: 'load-commune', address: `Nhà ${i + k}`, night_start: '22:00', night_end: '05:30', timezone: 'Asia/Ho_Chi_Minh', armed: 1, created_at: now }))).execute();
      await db.kysely.insertInto('devices').values(Array.from({ length: n }, (_, k) => ({ id: `load-dev-${i + k}`, household_id: `load-hh-${i + k}`, kind: 'agent', credential_hash: hash, revoked: 0, status: 'unknown', status_at: null, last_seen_at: null, agent_version: null, platform: null, registered_at: null, created_at: now }))).execute();
    }
    await db.close();

    hubProc = await startHubProcess({ KHOA_DATA_DIR: dataDir, KHOA_PIPELINE_WORKERS: String(o.pipelineWorkers) });
    const { mqttPort, httpPort } = hubProc;
    const usage: Array<{ cpu: number; memory: number }> = [];
    const sampler = setInterval(() => {
      void pidusage(hubProc!.child.pid!).then((u) => usage.push({ cpu: u.cpu, memory: u.memory }), () => {});
    }, 1000);

    // Connect every agent (bounded concurrency, like agents coming back after a hub restart).
    const t0 = performance.now();
    let lost = 0;
    const connectOne = async (i: number) => {
      const ref = { householdId: `load-hh-${i}`, deviceId: `load-dev-${i}` };
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: ref.deviceId,
        username: ref.deviceId,
        password,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 120_000,
        keepalive: 60,
        will: { topic: topics.status(ref), payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      c.on('close', () => lost++);
      clients[i] = c;
      await c.publishAsync(topics.status(ref), 'online', { qos: 1, retain: true });
      await c.publishAsync(topics.register(ref), JSON.stringify({ agentVersion: 'load-1', ts: Date.now(), locks: [{ id: 'front', kind: 'lock_with_door', driver: 'simulator' }], cameras: i < o.cameras ? [{ id: 'cam', source: 'simulated', width: o.frameSize.width, height: o.frameSize.height }] : [] }), { qos: 1 });
    };
    let next = 0;
    const concurrency = o.connectConcurrency ?? 50;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < o.agents) {
          const i = next++;
          await connectOne(i);
          if (i % 500 === 499) say(`  ${i + 1} agents connected`);
        }
      }),
    );
    const connectSeconds = (performance.now() - t0) / 1000;
    say(`  all ${o.agents} agents connected in ${round(connectSeconds)} s`);
    lost = 0;

    // Steady phase: lock events, heartbeats, camera frames.
    const seqs = new Array<number>(o.agents).fill(0);
    const sentAt = new Map<string, number>(); // household -> send time of its first forced door
    let eventsSent = 0;
    let forcedSent = 0;
    let framesSent = 0;
    const pending: Array<Promise<unknown>> = [];
    const eventIntervalMs = 60_000 / Math.max(o.eventsPerAgentPerMinute, 1e-9);
    const steadyEnd = Date.now() + o.seconds * 1000;
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < o.agents; i++) {
      const ref = { householdId: `load-hh-${i}`, deviceId: `load-dev-${i}` };
      const c = clients[i]!;
      // Spread agents over the interval so events arrive evenly, not in bursts.
      const start = (i / o.agents) * eventIntervalMs;
      timers.push(
        setTimeout(function tick() {
          if (Date.now() >= steadyEnd) return;
          const forced = !sentAt.has(ref.householdId) && Math.random() < o.forcedShare;
          const type = forced ? 'forced' : seqs[i]! % 2 === 0 ? 'door_open' : 'door_closed';
          if (forced) {
            sentAt.set(ref.householdId, Date.now());
            forcedSent++;
          }
          eventsSent++;
          pending.push(c.publishAsync(topics.lockEvent(ref, 'front'), JSON.stringify({ seq: seqs[i]!++, ts: Date.now(), type }), { qos: 1 }).catch(() => {}));
          timers.push(setTimeout(tick, eventIntervalMs));
        }, start),
      );
    }
    for (let i = 0; i < o.cameras; i++) {
      const ref = { householdId: `load-hh-${i}`, deviceId: `load-dev-${i}` };
      let k = i % o.frames.length;
      const iv = setInterval(() => {
        if (Date.now() >= steadyEnd) return clearInterval(iv);
        const header = { seq: k, ts: Date.now(), width: o.frameSize.width, height: o.frameSize.height, keyframe: false, motion: true };
        clients[i]!.publish(topics.camFrame(ref, 'cam'), encodeFrame(header, o.frames[k % o.frames.length]!), { qos: 0 });
        k++;
        framesSent++;
      }, 1000 / o.fps);
      timers.push(iv);
    }
    const hb = setInterval(() => {
      for (let i = 0; i < o.agents; i++) {
        clients[i]!.publish(topics.heartbeat({ householdId: `load-hh-${i}`, deviceId: `load-dev-${i}` }), JSON.stringify({ ts: Date.now(), uptimeS: 1, queued: 0, dropped: 0, armed: true }), { qos: 0 });
      }
    }, 10_000);
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    for (const t of timers) clearTimeout(t);
    clearInterval(hb);
    await Promise.all(pending);
    const steadySeconds = o.seconds;
    say(`  steady phase over: ${eventsSent} events, ${framesSent} frames sent`);

    // Read the outcome from the hub's own database and metrics.
    await new Promise((r) => setTimeout(r, 1500));
    const connectionsHeld = clients.filter((c) => c?.connected).length;
    const connectionsLost = lost;
    const hub = { http: httpPort };
    const eventsStored = await hubMetric(hub, 'khoa_events_stored_total');
    const framesAnalysed = await hubMetric(hub, 'khoa_pipeline_frames_total', { result: 'analysed' });
    let framesDropped = 0;
    for (const result of ['superseded', 'stale', 'stopped', 'failed']) framesDropped += await hubMetric(hub, 'khoa_pipeline_frames_total', { result });
    clearInterval(sampler);
    const stopStarted = performance.now();
    const hubExitCode = await hubProc.stop(20_000);
    const hubStopSeconds = (performance.now() - stopStarted) / 1000;
    const view = await storage.openDb({ url: '', busyTimeoutMs: 5000 }, dataDir);
    const alerts = await view.kysely.selectFrom('alerts').select(['household_id', 'created_at']).where('kind', '=', 'door_forced').execute();
    await view.close();
    const latencies = alerts.map((a) => Number(a.created_at) - (sentAt.get(a.household_id) ?? NaN)).filter(Number.isFinite).sort((a, b) => a - b);
    const cpu = usage.map((u) => u.cpu);
    return {
      agents: o.agents,
      cameras: o.cameras,
      connectSeconds: round(connectSeconds),
      connectionsHeld,
      connectionsLost,
      eventsSent,
      eventsStored,
      eventsPerSecond: round(eventsStored / steadySeconds),
      forcedSent,
      alertsRaised: alerts.length,
      alertLatencyP50Ms: round(pct(latencies, 50)),
      alertLatencyP99Ms: round(pct(latencies, 99)),
      framesSent,
      framesAnalysed,
      framesDropped,
      hubCpuPercentMean: round(cpu.reduce((a, b) => a + b, 0) / Math.max(cpu.length, 1)),
      hubCpuPercentMax: round(Math.max(0, ...cpu)),
      hubRssMBMax: round(Math.max(0, ...usage.map((u) => u.memory)) / 2 ** 20),
      hubExitCode,
      hubStopSeconds: round(hubStopSeconds),
    };
  } finally {
    await Promise.all(clients.map((c) => c?.endAsync(true).catch(() => {})));
    await hubProc?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
