import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatValidator, lockEventValidator, registerValidator, type LockEvent } from '@khoa/protocol';
import { startAgent, type Agent } from './agent.ts';
import { FAST, PASSWORD, quietLog, testConfig } from './test-support/agent-fixture.ts';
import { observe, startTestBroker, until, type Observer, type TestBroker } from './test-support/broker.ts';
import { makeTestCertificate } from './test-support/tls.ts';
import { FakeGpioChip } from './test-support/fake-gpio.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(): Promise<TestBroker> {
  const b = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
  cleanups.push(() => b.kill().catch(() => {}));
  return b;
}
async function watcher(url: string, filters = ['khoa/v1/#']): Promise<Observer> {
  const o = await observe(url, filters);
  cleanups.push(() => o.close());
  return o;
}
async function agentFor(config: ReturnType<typeof testConfig>, opts: Parameters<typeof startAgent>[1] = {}): Promise<Agent> {
  const a = await startAgent(config, { log: quietLog(), tuning: FAST, ...opts });
  cleanups.push(() => a.stop());
  return a;
}
/** A port nothing listens on (for an agent that starts while the hub is down). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A counter's current value (for one label set). */
async function value(metric: { get(): Promise<{ values: { value: number; labels: object }[] }> }, labels: Record<string, string> = {}): Promise<number> {
  const v = (await metric.get()).values.find((x) => Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val));
  return v?.value ?? 0;
}

const PREFIX = 'khoa/v1/hh-1/agent-1';
const parse = (p: Buffer) => JSON.parse(p.toString('utf8')) as Record<string, unknown>;

describe('agent link', () => {
  it('connects with its credentials, goes online (retained) and registers its locks', async () => {
    const b = await broker();
    const obs = await watcher(b.url);
    const agent = await agentFor(testConfig(b.url));
    await agent.whenConnected();
    const status = await obs.waitFor((m) => m.topic === `${PREFIX}/status` && m.payload.toString() === 'online');
    expect(status.payload.toString()).toBe('online');
    const reg = await obs.waitFor((m) => m.topic === `${PREFIX}/register`);
    const checked = registerValidator.check(parse(reg.payload));
    expect(checked.ok).toBe(true);
    expect(parse(reg.payload).locks).toEqual([{ id: 'front', kind: 'lock_with_door', driver: 'simulator' }]);
    // A late subscriber (the hub after a restart) still learns the agent is online.
    const late = await watcher(b.url, [`${PREFIX}/status`]);
    const retained = await late.waitFor((m) => m.topic === `${PREFIX}/status`);
    expect(retained.retain).toBe(true);
    expect(retained.payload.toString()).toBe('online');
  });

  it('connects over TLS trusting the CA from its config, and refuses a hub it cannot verify', async () => {
    const tlsKeys = makeTestCertificate();
    const b = await startTestBroker({ credentials: { 'agent-1': PASSWORD }, tls: tlsKeys });
    cleanups.push(() => b.kill().catch(() => {}));
    const url = `mqtts://localhost:${b.port}`;
    const trusted = await agentFor(testConfig(url, { mqtt: { url, ca: tlsKeys.cert } }));
    await trusted.whenConnected();
    await trusted.stop();

    const untrusted = await agentFor(testConfig(url, { deviceId: 'agent-2' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(untrusted.connected()).toBe(false);
    expect(b.aedes.connectedClients).toBe(0);
    expect(await value(untrusted.metrics.linkErrors, { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBeGreaterThanOrEqual(1);
  });

  it('backs off ever more slowly from a hub that drops it right after connecting', async () => {
    const b = await broker();
    let connects = 0;
    b.aedes.on('client', () => connects++);
    b.aedes.authorizeSubscribe = (_client, _sub, done) => done(new Error('refused'), null);
    const agent = await agentFor(testConfig(b.url), { tuning: { ...FAST, reconnectMinMs: 20, reconnectMaxMs: 5000, reconnectStableMs: 10_000 } });
    await new Promise((r) => setTimeout(r, 700));
    expect(agent.connected()).toBe(false);
    // 10, 20, 40, 80, 160, 320 ms (random 0.5 → three quarters of each step): about six tries, not thirty.
    expect(connects).toBeGreaterThanOrEqual(3);
    expect(connects).toBeLessThanOrEqual(8);
  });

  it('is refused with a wrong password and keeps retrying with backoff', async () => {
    const b = await broker();
    const agent = await agentFor(testConfig(b.url, { password: 'wrong-password-0123456789' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.connected()).toBe(false);
    expect(await value(agent.metrics.reconnects)).toBeGreaterThanOrEqual(2);
    expect(await value(agent.metrics.linkErrors, { code: '5' })).toBeGreaterThanOrEqual(1);
  });

  it('has its Last Will `offline` published when its socket dies, then comes back online and registers again', async () => {
    const b = await broker();
    const obs = await watcher(b.url);
    const agent = await agentFor(testConfig(b.url));
    await agent.whenConnected();
    await obs.waitFor((m) => m.topic === `${PREFIX}/register`);
    const registersBefore = obs.messages.filter((m) => m.topic === `${PREFIX}/register`).length;
    expect(b.dropClient('agent-1')).toBe(true);
    const will = await obs.waitFor((m) => m.topic === `${PREFIX}/status` && m.payload.toString() === 'offline');
    expect(will).toBeDefined();
    const idx = obs.messages.indexOf(will);
    await until(() => obs.messages.slice(idx).some((m) => m.topic === `${PREFIX}/status` && m.payload.toString() === 'online'), 5000, 'online again');
    await until(() => obs.messages.filter((m) => m.topic === `${PREFIX}/register`).length > registersBefore, 5000, 'registration again');
  });

  it('publishes `offline` itself on a clean stop (a clean DISCONNECT suppresses the will)', async () => {
    const b = await broker();
    const obs = await watcher(b.url, [`${PREFIX}/status`]);
    const agent = await agentFor(testConfig(b.url));
    await agent.whenConnected();
    await agent.stop();
    await obs.waitFor((m) => m.payload.toString() === 'offline');
  });

  it('stops promptly while a connection attempt is still pending', async () => {
    // A non-routable address: the TCP handshake hangs (or fails at once, depending on the network).
    const agent = await startAgent(testConfig('mqtt://10.255.255.1:1883'), { log: quietLog(), tuning: { ...FAST, connectTimeoutMs: 10_000 } });
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await agent.stop();
    expect(Date.now() - t).toBeLessThan(2500);
  });

  it('sends heartbeats with the queue depth', async () => {
    const b = await broker();
    const obs = await watcher(b.url);
    const agent = await agentFor(testConfig(b.url), { tuning: { ...FAST, heartbeatIntervalMs: 50 } });
    await agent.whenConnected();
    await until(() => obs.messages.filter((m) => m.topic === `${PREFIX}/heartbeat`).length >= 2, 3000, 'two heartbeats');
    const hb = parse(obs.messages.find((m) => m.topic === `${PREFIX}/heartbeat`)?.payload ?? Buffer.from('{}'));
    expect(heartbeatValidator.check(hb).ok).toBe(true);
    expect(hb).toMatchObject({ queued: 0, dropped: 0, armed: false });
  });
});

describe('drivers in the agent', () => {
  it('refuses an unknown driver or bad driver options before connecting', async () => {
    const b = await broker();
    await expect(startAgent(testConfig(b.url, { locks: [{ id: 'x', kind: 'lock', driver: 'teleport' }] }), { log: quietLog() })).rejects.toMatchObject({ code: 'KHOA_ERR_CONFIG_INVALID' });
    await expect(
      startAgent(testConfig(b.url, { locks: [{ id: 'x', kind: 'lock', driver: 'simulator', options: { steps: [{ afterMs: -5, type: 'locked' }] } }] }), { log: quietLog() }),
    ).rejects.toMatchObject({ code: 'KHOA_ERR_CONFIG_INVALID' });
    expect(b.aedes.connectedClients).toBe(0);
  });

  it('retries a driver whose device is not there yet, while the other locks work', async () => {
    const b = await broker();
    const obs = await watcher(b.url, [`${PREFIX}/lock/+/event`]);
    const chip = new FakeGpioChip();
    cleanups.push(() => chip.remove());
    const locks = [
      { id: 'front', kind: 'lock_with_door' as const, driver: 'simulator' },
      { id: 'back', kind: 'door_sensor' as const, driver: 'gpio', options: { pin: 17, export: false, sysfsRoot: chip.root, pollMs: 5, debounceMs: 10 } },
    ];
    const agent = await agentFor(testConfig(b.url, { locks }), { tuning: { ...FAST, driverRetryMs: 50 } });
    await agent.whenConnected();
    expect(await value(agent.metrics.driverErrors, { driver: 'gpio' })).toBe(1);
    agent.simulator('front').emit('locked');
    await obs.waitFor((m) => m.topic === `${PREFIX}/lock/front/event`);
    chip.addPin(17, 0);
    await new Promise((r) => setTimeout(r, 200));
    chip.set(17, 1);
    const ev = await obs.waitFor((m) => m.topic === `${PREFIX}/lock/back/event`);
    expect(parse(ev.payload)).toMatchObject({ type: 'door_open', source: 'gpio' });
  });

  it('fails to start with a coded storage error when the data dir cannot be used', async () => {
    const b = await broker();
    const config = testConfig(b.url);
    const blocker = path.join(config.dataDir, 'file');
    fs.writeFileSync(blocker, 'not a directory');
    await expect(startAgent({ ...config, dataDir: blocker }, { log: quietLog() })).rejects.toMatchObject({ code: 'KHOA_ERR_STORAGE' });
  });

  it('plays a simulator script and counts an event that breaks the schema without stopping', async () => {
    const b = await broker();
    const obs = await watcher(b.url, [`${PREFIX}/lock/+/event`]);
    const steps = [
      { afterMs: 10, type: 'door_open' },
      { afterMs: 10, type: 'forced' },
      { afterMs: 10, type: 'battery', battery: 12 },
    ];
    const agent = await agentFor(testConfig(b.url, { locks: [{ id: 'back', kind: 'door_sensor', driver: 'simulator', options: { steps } }] }));
    await until(() => obs.messages.length === 3, 5000, 'scripted events');
    expect(obs.messages.map((m) => parse(m.payload).type)).toEqual(['door_open', 'forced', 'battery']);
    expect(obs.messages.every((m) => m.topic === `${PREFIX}/lock/back/event`)).toBe(true);
    agent.simulator('back').emit('battery', { battery: 140 });
    expect(await value(agent.metrics.driverErrors, { driver: 'simulator' })).toBe(1);
    agent.simulator('back').emit('door_closed');
    await until(() => obs.messages.length === 4, 5000, 'next event');
    const seqs = obs.messages.map((m) => parse(m.payload).seq as number);
    expect(seqs.every((s, i) => i === 0 || s === (seqs[i - 1] as number) + 1)).toBe(true);
  });
});

describe('store-and-forward', () => {
  /** What the hub's broker received from the agent, recorded broker-side so nothing races a subscriber's reconnect. */
  function recordEvents(b: TestBroker, into: LockEvent[]): void {
    b.aedes.on('publish', (packet, client) => {
      if (client && packet.topic.startsWith(`${PREFIX}/lock/`)) {
        const r = lockEventValidator.check(JSON.parse(packet.payload.toString()));
        if (r.ok) into.push(r.value);
      }
    });
  }

  it('delivers every event exactly once and in order across a broker restart on the same port', async () => {
    const b = await broker();
    const got: LockEvent[] = [];
    recordEvents(b, got);
    const agent = await agentFor(testConfig(b.url));
    await agent.whenConnected();
    const sim = agent.simulator('front');
    const made: number[] = [];
    agent.events.on('event', (_lock, e) => made.push(e.seq));

    for (let i = 0; i < 5; i++) sim.emit(i % 2 ? 'door_closed' : 'door_open');
    await until(() => agent.queueDepth() === 0 && got.length === 5, 5000, 'first batch acknowledged');

    await b.kill();
    await until(() => !agent.connected(), 5000, 'agent to notice');
    for (let i = 0; i < 20; i++) sim.emit('door_open');
    expect(agent.queueDepth()).toBe(20);
    await b.restart();
    recordEvents(b, got);
    // More events while the backlog drains: they must come after it.
    await agent.whenConnected();
    for (let i = 0; i < 5; i++) sim.emit('forced');
    await until(() => got.length >= 30 && agent.queueDepth() === 0, 10_000, 'backlog delivered');

    expect(got.map((e) => e.seq)).toEqual(made);
    expect(made).toHaveLength(30);
    expect(made.every((s, i) => i === 0 || s === (made[i - 1] as number) + 1)).toBe(true);
    expect(await value(agent.metrics.eventsPublished)).toBe(30);
  });

  it('loses nothing and keeps order when the broker dies with events in flight', async () => {
    const b = await broker();
    const got: LockEvent[] = [];
    recordEvents(b, got);
    const agent = await agentFor(testConfig(b.url));
    await agent.whenConnected();
    const sim = agent.simulator('front');
    const made: number[] = [];
    agent.events.on('event', (_l, e) => made.push(e.seq));
    const producer = setInterval(() => sim.emit('door_open'), 2);
    cleanups.push(() => clearInterval(producer));
    await until(() => made.length >= 50, 5000, 'events before the crash');
    await b.kill();
    await new Promise((r) => setTimeout(r, 100));
    await b.restart();
    recordEvents(b, got);
    await until(() => made.length >= 150, 5000, 'events after the restart');
    clearInterval(producer);
    await until(() => agent.queueDepth() === 0, 10_000, 'queue drained');
    // QoS 1 is at-least-once: an event whose PUBACK died with the broker is sent again. Kept by
    // (device, seq) as the hub keeps them, the stream is complete and in order.
    const firstSeen = [...new Set(got.map((e) => e.seq))];
    expect(firstSeen).toEqual(made);
    expect(got.length - firstSeen.length).toBeLessThanOrEqual(16);
  });

  it('drops the oldest past the bound and delivers the newest when the hub comes up', async () => {
    const port = await deadPort();
    const config = testConfig(`mqtt://127.0.0.1:${port}`);
    const agent = await agentFor(config, { tuning: { ...FAST, queueMaxEvents: 5 } });
    const made: number[] = [];
    agent.events.on('event', (_l, e) => made.push(e.seq));
    for (let i = 0; i < 8; i++) agent.simulator('front').emit('door_open');
    expect(agent.queueDepth()).toBe(5);
    expect(await value(agent.metrics.queueDropped)).toBe(3);

    const b = await startTestBroker({ credentials: { 'agent-1': PASSWORD } }, port);
    cleanups.push(() => b.kill().catch(() => {}));
    const got: LockEvent[] = [];
    recordEvents(b, got);
    await until(() => got.length === 5 && agent.queueDepth() === 0, 10_000, 'newest five delivered');
    expect(got.map((e) => e.seq)).toEqual(made.slice(3));
  });

  it('keeps its queue across an agent restart and delivers it with the original seqs', async () => {
    const port = await deadPort();
    const config = testConfig(`mqtt://127.0.0.1:${port}`);
    const first = await startAgent(config, { log: quietLog(), tuning: FAST });
    const made: LockEvent[] = [];
    first.events.on('event', (_l, e) => made.push(e));
    first.simulator('front').emit('door_open');
    first.simulator('front').emit('forced');
    first.simulator('front').emit('tamper');
    await first.stop();
    expect(fs.readdirSync(path.join(config.dataDir, 'queue')).some((n) => n.startsWith('seg-'))).toBe(true);

    const b = await startTestBroker({ credentials: { 'agent-1': PASSWORD } }, port);
    cleanups.push(() => b.kill().catch(() => {}));
    const got: LockEvent[] = [];
    recordEvents(b, got);
    const second = await agentFor(config);
    expect(second.queueDepth()).toBe(3);
    await until(() => got.length === 3, 10_000, 'replayed queue');
    expect(got).toEqual(made);
    second.simulator('front').emit('door_closed');
    await until(() => got.length === 4, 5000, 'new event');
    expect(got[3]?.seq).toBe((made[2]?.seq ?? 0) + 1);
  });
});
