import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandReplyValidator, decodeFrame, type CommandPayloads, type FrameHeader, type RegisteredCamera } from '@khoa/protocol';
import { startAgent, type Agent } from '../agent.ts';
import type { CameraProvider, CameraSink } from '../cameras.ts';
import { FAST, PASSWORD, quietLog, testConfig } from '../test-support/agent-fixture.ts';
import { observe, startTestBroker, until, type Observer, type TestBroker } from '../test-support/broker.ts';

const PREFIX = 'khoa/v1/hh-1/agent-1';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  broker: TestBroker;
  hub: Observer;
  agent: Agent;
  config: ReturnType<typeof testConfig>;
  /** Sends a command as the hub would (QoS 1) and waits for the reply with the same transaction. */
  send(name: string, payload: string | object): Promise<Record<string, unknown>>;
}

let tx = 0;
async function rig(opts: Parameters<typeof startAgent>[1] = {}, config?: ReturnType<typeof testConfig>): Promise<Rig> {
  const broker = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
  cleanups.push(() => broker.kill().catch(() => {}));
  const hub = await observe(broker.url, [`${PREFIX}/#`]);
  cleanups.push(() => hub.close());
  const cfg = config ?? testConfig(broker.url);
  cfg.mqtt.url = broker.url;
  const agent = await startAgent(cfg, { log: quietLog(), tuning: FAST, ...opts });
  cleanups.push(() => agent.stop());
  await agent.whenConnected();
  return {
    broker,
    hub,
    agent,
    config: cfg,
    async send(name, payload) {
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const seen = hub.messages.length;
      await hub.client.publishAsync(`${PREFIX}/cmd/${name}`, body, { qos: 1 });
      const t = typeof payload === 'object' ? (payload as { transaction?: string }).transaction : undefined;
      const reply = await hub.waitFor((m) => m.topic === `${PREFIX}/reply/${name}` && hub.messages.indexOf(m) >= seen && (t === undefined || (JSON.parse(m.payload.toString()) as { transaction: string }).transaction === t));
      const parsed = JSON.parse(reply.payload.toString()) as unknown;
      expect(commandReplyValidator.check(parsed).ok).toBe(true);
      return parsed as Record<string, unknown>;
    },
  };
}
const t = () => `t${++tx}`;

describe('commands', () => {
  it('arms and disarms, echoing the transaction, and keeps the armed state across a restart', async () => {
    const r = await rig();
    const id = t();
    expect(await r.send('arm', { transaction: id, mode: 'home' })).toEqual({ transaction: id, ok: true, state: { armed: true, mode: 'home' } });
    expect(r.agent.state()).toMatchObject({ armed: true, mode: 'home' });
    await r.agent.stop();
    const again = await startAgent(r.config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => again.stop());
    expect(again.state().armed).toBe(true);
    await again.whenConnected();
    const id2 = t();
    expect(await r.send('disarm', { transaction: id2 })).toMatchObject({ transaction: id2, ok: true, state: { armed: false } });
    expect(again.state().armed).toBe(false);
  });

  it('refuses bad payloads with ok:false, counts them, and keeps serving', async () => {
    const r = await rig();
    const id = t();
    const wrongType = await r.send('arm', { transaction: id, mode: 'party' });
    expect(wrongType).toMatchObject({ transaction: id, ok: false });
    expect(String(wrongType.error)).toMatch(/mode/);
    const garbage = await r.send('disarm', '{not json');
    expect(garbage).toMatchObject({ transaction: 'unknown', ok: false });
    const binary = await r.send('config', Buffer.from([0xff, 0xfe, 0x00]).toString('latin1'));
    expect(binary.ok).toBe(false);
    const big = await r.send('advisory', JSON.stringify({ transaction: 'x', pad: 'a'.repeat(20_000) }));
    expect(big).toMatchObject({ ok: false });
    const rejected = (await r.agent.metrics.commandsRejected.get()).values.reduce((n, v) => n + v.value, 0);
    expect(rejected).toBe(4);
    const id2 = t();
    expect(await r.send('arm', { transaction: id2 })).toMatchObject({ transaction: id2, ok: true });
  });

  it('receives a QoS 1 command sent while it was offline (persistent session)', async () => {
    const r = await rig();
    await r.agent.stop();
    await r.hub.client.publishAsync(`${PREFIX}/cmd/arm`, JSON.stringify({ transaction: 'while-away' }), { qos: 1 });
    const back = await startAgent(r.config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => back.stop());
    const reply = await r.hub.waitFor((m) => m.topic === `${PREFIX}/reply/arm`);
    expect(JSON.parse(reply.payload.toString())).toMatchObject({ transaction: 'while-away', ok: true });
    expect(back.state().armed).toBe(true);
  });

  it('hands advisories to the hook, and refuses expired ones', async () => {
    const got: CommandPayloads['advisory'][] = [];
    const r = await rig({ hooks: { onAdvisory: (a) => void got.push(a) } });
    const id = t();
    const adv = { transaction: id, advisoryId: 'a1', title: 'Cảnh giác', body: 'Khóa cửa trước khi ngủ.', lang: 'vi' };
    expect(await r.send('advisory', adv)).toMatchObject({ ok: true, state: { advisoryId: 'a1', delivered: true } });
    expect(got).toEqual([adv]);
    expect(await r.send('advisory', { ...adv, transaction: t(), expiresAt: '2001-01-01T00:00:00Z' })).toMatchObject({ ok: false, error: 'advisory has expired' });
  });

  it('refuses reboot without a configured command, and runs it (after replying) when there is one', async () => {
    const plain = await rig();
    expect(await plain.send('reboot', { transaction: t() })).toMatchObject({ ok: false });
    await plain.agent.stop();
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-reboot-')), 'rebooted');
    const r = await rig({ hooks: { rebootCommand: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`] } });
    expect(await r.send('reboot', { transaction: t() })).toMatchObject({ ok: true, state: { rebooting: true } });
    await until(() => fs.existsSync(marker), 5000, 'reboot command to run');
  });

  it('applies the runtime settings it knows and refuses others', async () => {
    const r = await rig();
    expect(await r.send('config', { transaction: t(), settings: { heartbeatIntervalS: 5, logLevel: 'warn' } })).toMatchObject({ ok: true });
    expect(r.agent.log.level).toBe('warn');
    const bad = await r.send('config', { transaction: t(), settings: { password: 'x' } });
    expect(bad).toMatchObject({ ok: false });
  });
});

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

  it('refuses a frame whose header breaks the schema', async () => {
    const r = await rig({ cameras: [new OneFrameCamera()] });
    expect(r.agent.publishFrame('cam1', { seq: -1, ts: 1, width: 0, height: 2, keyframe: false, motion: false }, Buffer.from([0xff, 0xd8]))).toBe(false);
  });
});
