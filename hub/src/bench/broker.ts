import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import sharp from 'sharp';
import { encodeFrame, topics } from '@khoa/protocol';
import type { Bench } from './types.ts';
import type { ReceiverReply, ReceiverRequest } from './broker-receiver.ts';

/**
 * Broker throughput and latency with the project's auth, ACL and validation on, against the
 * machine's Mosquitto on the same load, as a ratio. Lock events of 256 bytes and camera frames
 * of about 50 KB, QoS 0 and QoS 1, from several authenticated devices on loopback.
 */
const MOSQUITTO_URL = process.env.KHOA_BENCH_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883';
// Devices publishing at once. A hub handles each device's messages in order (ingest before the ack), so
// few devices flooding measure one device's latency; a commune's load is many devices, each rare.
const PUBLISHERS = Number(process.env.KHOA_BENCH_PUBLISHERS ?? 32);
const now = () => performance.timeOrigin + performance.now();

type Kind = 'lock' | 'frame';
interface Scenario {
  name: string;
  kind: Kind;
  qos: 0 | 1;
  /** Messages in the throughput burst, all publishers together. */
  burst: number;
  /** Paced rate for the latency phase, messages per second for all publishers together. */
  pacedRate: number;
}

/**
 * A burst before the measured ones, on both brokers alike: the hub is JavaScript, and its first
 * thousands of messages run in the interpreter and compile its statements; Mosquitto has
 * nothing to warm. Without it the quick run measured mostly the hub's start.
 */
const WARMUP: Scenario = { name: 'warmup', kind: 'lock', qos: 1, burst: 6400, pacedRate: 0 };

class Receiver {
  private readonly child: ChildProcess;
  private pending: Array<(r: ReceiverReply) => void> = [];

  constructor() {
    const entry = fileURLToPath(new URL('./broker-receiver.ts', import.meta.url));
    this.child = fork(entry, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (m: ReceiverReply) => this.pending.shift()?.(m));
  }

  ask(req: ReceiverRequest): Promise<ReceiverReply> {
    return new Promise((resolve, reject) => {
      this.pending.push((r) => ('error' in r ? reject(new Error(`receiver: ${r.error}`)) : resolve(r)));
      this.child.send(req);
    });
  }

  async close(): Promise<void> {
    await this.ask({ cmd: 'stop' }).catch(() => {});
    this.child.disconnect();
  }
}

function lockPayload(seq: number): Buffer {
  // A valid lock event, padded with JSON whitespace to exactly 256 bytes.
  const json = JSON.stringify({ seq, ts: Date.now(), type: 'door_closed' });
  return Buffer.from(json.padEnd(256, ' '));
}

async function makeJpeg(targetBytes: number): Promise<Buffer> {
  // Noise compresses poorly, like a busy scene; pick the quality that lands near the target size.
  const raw = sharp({ create: { width: 640, height: 360, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  let best = await raw.clone().jpeg({ quality: 30 }).toBuffer();
  for (const quality of [20, 30, 40, 50, 60, 70]) {
    const jpeg = await raw.clone().jpeg({ quality }).toBuffer();
    if (Math.abs(jpeg.length - targetBytes) < Math.abs(best.length - targetBytes)) best = jpeg;
  }
  return best;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function runScenario(target: Target, rx: Receiver, pubs: MqttClient[], devices: Array<{ householdId: string; deviceId: string }>, sc: Scenario, jpeg: Buffer, seqs: number[]) {
  const topicOf = (i: number) => {
    const d = devices[i]!;
    return sc.kind === 'lock' ? topics.lockEvent(d, 'front') : topics.camFrame(d, 'cam1');
  };
  const payloadOf = (i: number) => {
    const seq = seqs[i]!++;
    return sc.kind === 'lock' ? lockPayload(seq) : encodeFrame({ seq, ts: Date.now(), width: 640, height: 360, keyframe: false, motion: true }, jpeg);
  };
  const filter = sc.kind === 'lock' ? 'khoa/v1/+/+/lock/+/event' : 'khoa/v1/+/+/cam/+/frame';
  await rx.ask({ cmd: 'subscribe', filter, qos: sc.qos });

  const sent: Record<string, number[]> = {};
  const publish = (i: number): Promise<unknown> => {
    const topic = topicOf(i);
    const payload = payloadOf(i);
    (sent[topic] ??= []).push(now());
    return pubs[i]!.publishAsync(topic, payload, { qos: sc.qos });
  };

  const waitArrivals = async (expected: number) => {
    let last = -1;
    let still = now();
    for (;;) {
      const r = await rx.ask({ cmd: 'count' });
      const n = 'ok' in r && r.ok === 'count' ? r.n : 0;
      if (n >= expected) return;
      if (n !== last) {
        last = n;
        still = now();
      } else if (now() - still > 3000) return; // nothing more is coming: the rest were lost
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  // Throughput: each publisher sends its share as fast as the broker takes it, with a bounded
  // window of unacknowledged messages (QoS 1) or of unflushed writes (QoS 0).
  const perPub = Math.floor(sc.burst / pubs.length);
  const window = 32;
  const t0 = now();
  await Promise.all(
    pubs.map(async (_c, i) => {
      const inflight = new Set<Promise<unknown>>();
      for (let k = 0; k < perPub; k++) {
        const p = publish(i).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= window) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  await waitArrivals(perPub * pubs.length);
  const burst = await rx.ask({ cmd: 'collect' });
  if (!('ok' in burst) || burst.ok !== 'collected') throw new Error('receiver did not report');
  const lastArrival = Math.max(...Object.values(burst.arrivals).map((a) => a[a.length - 1] ?? 0));
  const received = Object.values(burst.arrivals).reduce((a, v) => a + v.length, 0);
  const seconds = (lastArrival - t0) / 1000;
  if (sc === WARMUP) return undefined;

  // Latency: a steady rate well inside capacity, so the figure is the path, not a queue.
  for (const k of Object.keys(sent)) delete sent[k];
  const pacedSeconds = 2;
  const ticks = 50;
  const perTick = Math.max(1, Math.round(sc.pacedRate / ticks));
  const pending: Array<Promise<unknown>> = [];
  for (let t = 0; t < pacedSeconds * ticks; t++) {
    for (let k = 0; k < perTick; k++) pending.push(publish(k % pubs.length));
    await new Promise((r) => setTimeout(r, 1000 / ticks));
  }
  await Promise.all(pending);
  await waitArrivals(pacedSeconds * ticks * perTick);
  const paced = await rx.ask({ cmd: 'collect' });
  if (!('ok' in paced) || paced.ok !== 'collected') throw new Error('receiver did not report');
  const latencies: number[] = [];
  for (const [topic, times] of Object.entries(paced.arrivals)) {
    const s = sent[topic] ?? [];
    times.forEach((t, k) => s[k] !== undefined && latencies.push(t - s[k]!));
  }
  latencies.sort((a, b) => a - b);
  process.stderr.write(`  ${target} ${sc.name}: ${round(received / seconds, 0)} msg/s, p99 ${round(percentile(latencies, 99))} ms\n`);
  return {
    sent: perPub * pubs.length,
    received,
    msgsPerSec: round(received / seconds, 0),
    mbPerSec: round((received * (sc.kind === 'lock' ? 256 : jpeg.length)) / seconds / 1e6),
    latencyRate: perTick * ticks,
    latencyP50Ms: round(percentile(latencies, 50)),
    latencyP99Ms: round(percentile(latencies, 99)),
    latencyLost: pacedSeconds * ticks * perTick - latencies.length,
    receiverCpuSeconds: round(paced.cpuMicros / 1e6 + burst.cpuMicros / 1e6),
    // For the hub and bare aedes the receiver is the broker's own process: its CPU per message.
    receiverCpuMicrosPerMsgBurst: round(burst.cpuMicros / Math.max(1, received), 1),
    receiverRssMB: round(paced.rssBytes / 2 ** 20, 1),
  };
}

type Target = 'hub' | 'hub-broker' | 'mosquitto' | 'aedes';

async function runTarget(target: Target, scenarios: Scenario[], jpeg: Buffer) {
  const rx = new Receiver();
  try {
    const started = await rx.ask(
      target === 'hub' ? { cmd: 'start-hub', publishers: PUBLISHERS }
      : target === 'hub-broker' ? { cmd: 'start-hub-broker', publishers: PUBLISHERS }
      : target === 'aedes' ? { cmd: 'start-aedes' }
      : { cmd: 'start-mqtt', url: MOSQUITTO_URL },
    );
    const authenticated = target === 'hub' || target === 'hub-broker';
    if (!('ok' in started) || started.ok !== 'started') throw new Error('receiver did not start');
    const devices = started.devices.slice(0, PUBLISHERS);
    const pubs = await Promise.all(
      devices.map((d) =>
        mqtt.connectAsync(started.url, {
          // MQTT 3.1.1 for both: aedes speaks 3.1.1, and the comparison needs one protocol.
          protocolVersion: 4,
          clientId: authenticated ? d.deviceId : `${d.deviceId}-${process.pid}`,
          ...(authenticated ? { username: d.deviceId, password: (d as { password: string }).password } : {}),
          reconnectPeriod: 0,
        }),
      ),
    );
    const seqs = devices.map(() => 0);
    const out: Record<string, unknown> = {};
    await runScenario(target, rx, pubs, devices, WARMUP, jpeg, seqs);
    for (const sc of scenarios) out[sc.name] = await runScenario(target, rx, pubs, devices, sc, jpeg, seqs);
    await Promise.all(pubs.map((p) => p.endAsync()));
    return out;
  } finally {
    await rx.close();
  }
}

export const brokerBench: Bench = {
  name: 'broker',
  summary: `embedded hub broker (auth, ACL, validation, storage), the same broker without storage, bare aedes and Mosquitto at ${MOSQUITTO_URL}`,
  async run({ quick }) {
    const scale = quick ? 0.2 : 1;
    const scenarios: Scenario[] = [
      { name: 'lock_qos0', kind: 'lock', qos: 0, burst: Math.round(20000 * scale), pacedRate: 1000 },
      { name: 'lock_qos1', kind: 'lock', qos: 1, burst: Math.round(20000 * scale), pacedRate: 1000 },
      { name: 'frame_qos0', kind: 'frame', qos: 0, burst: Math.round(1000 * scale), pacedRate: 100 },
      { name: 'frame_qos1', kind: 'frame', qos: 1, burst: Math.round(1000 * scale), pacedRate: 100 },
    ];
    const jpeg = await makeJpeg(50_000);
    const hub = (await runTarget('hub', scenarios, jpeg)) as Record<string, { msgsPerSec: number }>;
    const hubBroker = (await runTarget('hub-broker', scenarios, jpeg)) as Record<string, { msgsPerSec: number }>;
    const aedes = (await runTarget('aedes', scenarios, jpeg)) as Record<string, { msgsPerSec: number }>;
    let mosquitto: Record<string, { msgsPerSec: number }> | { error: string };
    try {
      mosquitto = (await runTarget('mosquitto', scenarios, jpeg)) as Record<string, { msgsPerSec: number }>;
    } catch (err) {
      mosquitto = { error: `Mosquitto not reachable at ${MOSQUITTO_URL}: ${(err as Error).message}` };
    }
    const ratio: Record<string, number> = {};
    const brokerRatio: Record<string, number> = {};
    const ratioToBareAedes: Record<string, number> = {};
    for (const sc of scenarios) ratioToBareAedes[sc.name] = round(hub[sc.name]!.msgsPerSec / aedes[sc.name]!.msgsPerSec);
    if (!('error' in mosquitto)) {
      for (const sc of scenarios) {
        const m = (mosquitto as Record<string, { msgsPerSec: number }>)[sc.name]!.msgsPerSec;
        ratio[sc.name] = round(hub[sc.name]!.msgsPerSec / m);
        brokerRatio[sc.name] = round(hubBroker[sc.name]!.msgsPerSec / m);
      }
    }
    return {
      publishers: PUBLISHERS,
      lockEventBytes: 256,
      frameBytes: jpeg.length + 60,
      note: 'hub: aedes with argon2id device auth, per-device ACL, payload validation and SQLite storage before the receiver sees a message; mosquitto: the machine\'s broker, anonymous, receiver is an mqtt.js subscriber. aedes: the same aedes with no auth, hooks or storage, received in-process, to show what the library costs and what the hub adds. Throughput is a burst with a window of 32 per publisher after a warm-up burst; latency is publish-to-receive at the paced rate.',
      hub,
      hubBroker,
      aedes,
      mosquitto,
      ratioHubToMosquitto: ratio,
      ratioHubToBareAedes: ratioToBareAedes,
      ratioHubBrokerToMosquitto: brokerRatio,
      goalSmallMessages: {
        goal: 'hub >= 0.5x Mosquitto on 256-byte lock events, QoS 0 and QoS 1',
        met: ratio.lock_qos0 !== undefined && ratio.lock_qos0 >= 0.5 && (ratio.lock_qos1 ?? 0) >= 0.5,
        metByBrokerLayer: brokerRatio.lock_qos0 !== undefined && brokerRatio.lock_qos0 >= 0.5 && (brokerRatio.lock_qos1 ?? 0) >= 0.5,
        note: 'hub = as deployed (every lock event stored in SQLite before it is forwarded, at QoS 0 forwarded once its write is queued and committed in the same turn or the next; rules run after); hubBroker = the same broker with authentication, ACL and payload validation, nothing stored',
      },
    };
  },
};
