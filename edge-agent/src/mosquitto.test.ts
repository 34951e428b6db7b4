import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'mqtt';
import { startAgent } from './agent.ts';
import { FAST, quietLog, testConfig } from './test-support/agent-fixture.ts';
import { observe, startStallableProxy, until } from './test-support/broker.ts';

// The scale-out mode puts an external broker in front of the hub. This runs the agent against
// the machine's own Mosquitto (127.0.0.1:1883, anonymous here), through a relay that can cut
// the connection. Skipped where there is no Mosquitto.
const MOSQUITTO_PORT = 1883;
const reachable = await new Promise<boolean>((resolve) => {
  const s = net.connect(MOSQUITTO_PORT, '127.0.0.1');
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!reachable)('agent against Mosquitto', () => {
  it('registers, gets a command sent while away, has its will published on a cut, and forwards its backlog', async () => {
    // Ids of this run only: the broker is shared with other suites and keeps retained messages.
    const deviceId = `agent-mq-${process.pid}-${Date.now().toString(36)}`;
    const prefix = `khoa/v1/hh-mq/${deviceId}`;
    const proxy = await startStallableProxy(MOSQUITTO_PORT);
    cleanups.push(() => proxy.close());
    const hub = await observe(`mqtt://127.0.0.1:${MOSQUITTO_PORT}`, [`${prefix}/#`]);
    cleanups.push(async () => {
      await hub.client.publishAsync(`${prefix}/status`, '', { qos: 1, retain: true });
      await hub.close();
    });
    // Leaves nothing behind: a clean-session connection under the same id ends the persistent session.
    cleanups.push(async () => {
      const c = connect(`mqtt://127.0.0.1:${MOSQUITTO_PORT}`, { clientId: deviceId, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
      await new Promise<void>((r) => (c.once('connect', () => r()), c.once('error', () => r())));
      await c.endAsync();
    });
    const config = testConfig(proxy.url, { deviceId, householdId: 'hh-mq' });
    const first = await startAgent(config, { log: quietLog(), tuning: FAST });
    await first.whenConnected();
    await hub.waitFor((m) => m.topic === `${prefix}/register`);
    await first.stop();

    await hub.client.publishAsync(`${prefix}/cmd/arm`, JSON.stringify({ transaction: 'away-1' }), { qos: 1 });
    const agent = await startAgent(config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => agent.stop());
    const reply = await hub.waitFor((m) => m.topic === `${prefix}/reply/arm`);
    expect(JSON.parse(reply.payload.toString())).toMatchObject({ transaction: 'away-1', ok: true });

    const seen = hub.messages.length;
    proxy.cut();
    await hub.waitFor((m) => m.topic === `${prefix}/status` && m.payload.toString() === 'offline' && hub.messages.indexOf(m) >= seen, 10_000);

    const made: number[] = [];
    agent.events.on('event', (_l, e) => made.push(e.seq));
    for (let i = 0; i < 10; i++) agent.simulator('front').emit('door_open');
    await until(() => hub.messages.filter((m) => m.topic === `${prefix}/lock/front/event`).length >= 10, 10_000, 'events through Mosquitto');
    const got = hub.messages.filter((m) => m.topic === `${prefix}/lock/front/event`).map((m) => (JSON.parse(m.payload.toString()) as { seq: number }).seq);
    expect([...new Set(got)]).toEqual(made);
  });
});
