import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, type FrameHeader, type RegisteredCamera } from '@khoa/protocol';
import { startAgent } from './agent.ts';
import type { CameraProvider, CameraSink } from './cameras.ts';
import { FAST, PASSWORD, quietLog, testConfig } from './test-support/agent-fixture.ts';
import { observe, startStallableProxy, startTestBroker, until } from './test-support/broker.ts';
import { PREFIX, startRig } from './test-support/rig.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
let tx = 0;
const t = () => `c${++tx}`;
const rig = (opts: Parameters<typeof startRig>[1] = {}) => startRig(cleanups, opts);

/** A camera provider made for the test: one fake camera that "captures" a fixed tiny JPEG. */
class OneFrameCamera implements CameraProvider {
  sink: CameraSink | null = null;
  cameras(): RegisteredCamera[] {
    return [{ id: 'cam1', source: 'simulated', width: 2, height: 2 }];
  }
  async start(sink: CameraSink): Promise<void> {
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.sink = null;
  }
  async snapshot(cameraId: string): Promise<void> {
    const header: FrameHeader = { seq: 1, ts: Date.now(), width: 2, height: 2, keyframe: true, motion: false };
    this.sink?.publishFrame(cameraId, header, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  }
}

describe('cameras through the agent', () => {
  it('registers provider cameras, answers snapshot with a frame envelope, and refuses unknown cameras', async () => {
    const cam = new OneFrameCamera();
    const r = await rig({ cameras: [cam] });
    const reg = await r.hub.waitFor((m) => m.topic === `${PREFIX}/register`);
    expect(JSON.parse(reg.payload.toString()).cameras).toEqual([{ id: 'cam1', source: 'simulated', width: 2, height: 2 }]);
    expect(await r.send('snapshot', { transaction: t(), cameraId: 'cam1' })).toMatchObject({ ok: true });
    const frame = await r.hub.waitFor((m) => m.topic === `${PREFIX}/cam/cam1/frame`);
    const decoded = decodeFrame(frame.payload);
    expect(decoded.ok && decoded.value.header.keyframe).toBe(true);
    expect(await r.send('snapshot', { transaction: t(), cameraId: 'cam9' })).toMatchObject({ ok: false, error: 'unknown camera cam9' });
  });

  it('drops frames while offline but keeps the latest camera state and sends it on reconnect', async () => {
    const cam = new OneFrameCamera();
    const r = await rig({ cameras: [cam] });
    await r.broker.kill();
    await until(() => !r.agent.connected(), 5000, 'link down');
    expect(r.agent.publishFrame('cam1', { seq: 2, ts: 1, width: 2, height: 2, keyframe: false, motion: true }, Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBe(false);
    r.agent.publishCameraState('cam1', { state: 'reconnecting', ts: 1 });
    r.agent.publishCameraState('cam1', { state: 'lost', ts: 2, detail: 'no frames for 30 s' });
    r.agent.publishCameraState('cam1', { state: 'exploded', ts: 3 } as never);
    r.agent.publishCameraState('../cam', { state: 'lost', ts: 3 });
    await r.broker.restart();
    const hub2 = await observe(r.broker.url, [`${PREFIX}/cam/+/state`]);
    cleanups.push(() => hub2.close());
    const st = await hub2.waitFor((m) => m.topic === `${PREFIX}/cam/cam1/state`, 10_000);
    expect(JSON.parse(st.payload.toString())).toMatchObject({ state: 'lost', detail: 'no frames for 30 s' });
    // Retained: a subscriber arriving later (the hub after its own restart) still gets it.
    const late = await observe(r.broker.url, [`${PREFIX}/cam/cam1/state`]);
    cleanups.push(() => late.close());
    const kept = await late.waitFor(() => true);
    expect(kept.retain).toBe(true);
    expect(JSON.parse(kept.payload.toString())).toMatchObject({ state: 'lost' });
    const dropped = (await r.agent.metrics.framesDropped.get()).values.find((v) => v.labels.reason === 'offline')?.value;
    expect(dropped).toBe(1);
  });

  it('drops frames instead of buffering them when the uplink cannot keep up, and lock events still go', async () => {
    const broker = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
    cleanups.push(() => broker.kill().catch(() => {}));
    const proxy = await startStallableProxy(broker.port);
    cleanups.push(() => proxy.close());
    const events: string[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client && packet.topic.endsWith('/event')) events.push(packet.topic);
    });
    const agent = await startAgent(testConfig(proxy.url), { log: quietLog(), tuning: { ...FAST, frameBacklogBytes: 256 * 1024 }, cameras: [new OneFrameCamera()] });
    cleanups.push(() => agent.stop());
    await agent.whenConnected();
    proxy.stall(true);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(100 * 1024, 7), Buffer.from([0xff, 0xd9])]);
    let sent = 0;
    for (let i = 0; i < 300; i++) {
      if (agent.publishFrame('cam1', { seq: i, ts: 1, width: 2, height: 2, keyframe: false, motion: true }, jpeg)) sent++;
      await new Promise((res) => setImmediate(res));
    }
    const dropped = (await agent.metrics.framesDropped.get()).values.find((v) => v.labels.reason === 'backlog')?.value ?? 0;
    // The kernel's socket buffers take some frames; the rest are dropped, not held in memory.
    expect(dropped).toBeGreaterThan(100);
    expect(sent + dropped).toBe(300);
    agent.simulator('front').emit('door_open');
    proxy.stall(false);
    await until(() => events.length === 1 && agent.queueDepth() === 0, 10_000, 'the lock event after the stall');
  });

  it('refuses a frame whose header breaks the schema', async () => {
    const r = await rig({ cameras: [new OneFrameCamera()] });
    expect(r.agent.publishFrame('cam1', { seq: -1, ts: 1, width: 0, height: 2, keyframe: false, motion: false }, Buffer.from([0xff, 0xd8]))).toBe(false);
  });
});
