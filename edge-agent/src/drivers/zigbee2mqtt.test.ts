import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from 'mqtt';
import { lockEventValidator, type AgentLockConfig, type KhoaError, type LockEvent } from '@khoa/protocol';
import { startAgent } from '../agent.ts';
import { systemClock } from '../clock.ts';
import { FAST, PASSWORD, quietLog, testConfig } from '../test-support/agent-fixture.ts';
import { startTestBroker, until, type TestBroker } from '../test-support/broker.ts';
import type { DriverEvent } from './types.ts';
import { zigbee2mqttDriver } from './zigbee2mqtt.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The household's local broker, where zigbee2mqtt publishes (an aedes on port 0 here). */
async function localBroker(): Promise<{ broker: TestBroker; z2m: MqttClient }> {
  const broker = await startTestBroker();
  cleanups.push(() => broker.kill().catch(() => {}));
  // Plays zigbee2mqtt itself: publishes device states the way it does (retained when configured so).
  const z2m = connect(broker.url, { clientId: 'zigbee2mqtt-bridge', protocolVersion: 4 });
  await new Promise<void>((r) => z2m.once('connect', () => r()));
  cleanups.push(() => z2m.endAsync(true));
  return { broker, z2m };
}

async function driverOn(url: string, options: Record<string, unknown>) {
  const events: DriverEvent[] = [];
  const errors: KhoaError[] = [];
  const lock: AgentLockConfig = { id: 'front', kind: 'lock_with_door', driver: 'zigbee2mqtt', options: { url, ...options } };
  const d = zigbee2mqttDriver.create({ lock, emit: (e) => events.push(e), error: (e) => errors.push(e), log: quietLog(), clock: systemClock });
  cleanups.push(() => d.stop());
  await d.start();
  return { events, errors };
}

const json = (o: object) => JSON.stringify(o);
const settle = () => new Promise((r) => setTimeout(r, 80));

describe('zigbee2mqtt bridge', () => {
  it('translates a door sensor: retained state is the baseline, changes are events', async () => {
    const { broker, z2m } = await localBroker();
    // Aqara MCCGQ11LM as zigbee2mqtt reports it.
    const aqara = { battery: 97, contact: true, device_temperature: 27, linkquality: 120, power_outage_count: 6, voltage: 3025 };
    await z2m.publishAsync('zigbee2mqtt/hall/front_door', json(aqara), { qos: 1, retain: true });
    const { events, errors } = await driverOn(broker.url, { friendlyName: 'hall/front_door' });
    await settle();
    expect(events).toEqual([]);

    await z2m.publishAsync('zigbee2mqtt/hall/front_door', json({ ...aqara, contact: false, linkquality: 90 }), { qos: 1 });
    await until(() => events.length === 1, 3000, 'door_open');
    // zigbee2mqtt repeats the full state: a repeat is not a new event.
    await z2m.publishAsync('zigbee2mqtt/hall/front_door', json({ ...aqara, contact: false, linkquality: 80 }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/hall/front_door', json({ ...aqara, contact: false, battery: 95 }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/hall/front_door', json({ ...aqara, contact: true, battery: 91 }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/hall/front_door', json({ ...aqara, contact: true, battery: 91, tamper: true }), { qos: 1 });
    await until(() => events.length === 4, 3000, 'closed, battery, tamper');
    expect(events).toEqual([{ type: 'door_open' }, { type: 'door_closed' }, { type: 'battery', battery: 91 }, { type: 'tamper' }]);
    expect(errors).toEqual([]);
  });

  it('translates a keypad lock: bolt state, jammed bolt, wrong codes in a row, panic', async () => {
    const { broker, z2m } = await localBroker();
    const { events } = await driverOn(broker.url, { friendlyName: 'yale_front' });
    const yale = { battery: 80, linkquality: 140, lock_state: 'locked', state: 'LOCK' };
    const send = (o: object) => z2m.publishAsync('zigbee2mqtt/yale_front', json({ ...yale, ...o }), { qos: 1 });
    await send({});
    await send({ action: 'unlock_failure_invalid_pin_or_id', action_source_name: 'keypad' });
    await send({ action: 'unlock_failure_invalid_pin_or_id', action_source_name: 'keypad' });
    await send({ action: 'keypad_unlock', action_source_name: 'keypad', action_user: 1, lock_state: 'unlocked', state: 'UNLOCK' });
    await send({ action: 'unlock_failure_invalid_pin_or_id', action_source_name: 'keypad', lock_state: 'unlocked', state: 'UNLOCK' });
    await send({ lock_state: 'not_fully_locked', state: 'LOCK' });
    await send({ action: 'emergency', lock_state: 'not_fully_locked', state: 'LOCK' });
    await until(() => events.length === 8, 3000, 'eight events');
    expect(events).toEqual([
      { type: 'locked' },
      { type: 'battery', battery: 80 },
      { type: 'keypad_failures', failures: 1 },
      { type: 'keypad_failures', failures: 2 },
      { type: 'unlocked' },
      { type: 'keypad_failures', failures: 1 },
      { type: 'jammed' },
      { type: 'sos' },
    ]);
  });

  it('refuses and counts malformed messages, ignores other topics, and keeps working', async () => {
    const { broker, z2m } = await localBroker();
    const { events, errors } = await driverOn(broker.url, { friendlyName: 'back_door' });
    await z2m.publishAsync('zigbee2mqtt/back_door', '{"contact":', { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door', json({ contact: 'open' }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door', json({ battery: 300 }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door', Buffer.from([0xc3, 0x28]), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door', Buffer.alloc(20_000, 0x20), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door/availability', json({ state: 'offline' }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/other_door', json({ contact: false }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door', '', { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/back_door', json({ contact: false }), { qos: 1 });
    await until(() => events.length === 1, 3000, 'door_open');
    expect(events).toEqual([{ type: 'door_open' }]);
    expect(errors.map((e) => e.code)).toEqual(['KHOA_ERR_PAYLOAD_INVALID', 'KHOA_ERR_PAYLOAD_INVALID', 'KHOA_ERR_PAYLOAD_INVALID', 'KHOA_ERR_PAYLOAD_INVALID', 'KHOA_ERR_PAYLOAD_TOO_LARGE']);
  });

  it('starts (and reports) when the local broker is down, and picks up once it is there', async () => {
    const { broker, z2m } = await localBroker();
    const port = broker.port;
    await z2m.endAsync(true);
    await broker.kill();
    const { events, errors } = await driverOn(`mqtt://127.0.0.1:${port}`, { friendlyName: 'front_door', reconnectMs: 20, startWaitMs: 100 });
    expect(errors[0]?.code).toBe('KHOA_ERR_DRIVER');
    await broker.restart();
    await until(() => broker.aedes.connectedClients >= 1, 3000, 'driver reconnected');
    await settle();
    const z = connect(broker.url, { clientId: 'zigbee2mqtt-bridge-2', protocolVersion: 4 });
    cleanups.push(() => z.endAsync(true));
    await new Promise<void>((r) => z.once('connect', () => r()));
    await z.publishAsync('zigbee2mqtt/front_door', json({ contact: false }), { qos: 1 });
    await until(() => events.length === 1, 3000, 'door_open');
  });

  it('refuses a wildcard in the friendly name', () => {
    const lock: AgentLockConfig = { id: 'x', kind: 'lock', driver: 'zigbee2mqtt', options: { url: 'mqtt://127.0.0.1:1', friendlyName: 'doors/#' } };
    expect(() => zigbee2mqttDriver.create({ lock, emit: () => {}, error: () => {}, log: quietLog(), clock: systemClock })).toThrow(/KHOA_ERR_CONFIG_INVALID|configuration is invalid/);
  });

  it('carries a zigbee door through the agent to the hub as a lock event', async () => {
    const { broker: local, z2m } = await localBroker();
    const hub = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
    cleanups.push(() => hub.kill().catch(() => {}));
    const got: LockEvent[] = [];
    hub.aedes.on('publish', (packet, client) => {
      if (client && packet.topic === 'khoa/v1/hh-1/agent-1/lock/front/event') {
        const r = lockEventValidator.check(JSON.parse(packet.payload.toString()));
        if (r.ok) got.push(r.value);
      }
    });
    const config = testConfig(hub.url, { locks: [{ id: 'front', kind: 'door_sensor', driver: 'zigbee2mqtt', options: { url: local.url, friendlyName: 'front_door' } }] });
    const agent = await startAgent(config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => agent.stop());
    await agent.whenConnected();
    await until(() => local.aedes.connectedClients >= 2, 3000, 'driver connected to the local broker');
    await settle();
    await z2m.publishAsync('zigbee2mqtt/front_door', json({ contact: false, battery: 100, linkquality: 100 }), { qos: 1 });
    await until(() => got.length === 2, 5000, 'events at the hub');
    expect(got.map((e) => [e.type, e.source])).toEqual([
      ['door_open', 'zigbee2mqtt'],
      ['battery', 'zigbee2mqtt'],
    ]);
  });
});
