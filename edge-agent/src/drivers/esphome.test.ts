import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from 'mqtt';
import type { AgentLockConfig, KhoaError } from '@khoa/protocol';
import { systemClock } from '../clock.ts';
import { quietLog } from '../test-support/agent-fixture.ts';
import { startTestBroker, until } from '../test-support/broker.ts';
import { esphomeDriver } from './esphome.ts';
import type { DriverEvent } from './types.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PREFIX = 'khoa-door-1';
const OPTIONS = { topicPrefix: PREFIX, door: 'front_door', lock: 'front_lock', tamper: 'case_open', sos: 'panic', battery: 'battery_level' };

/** The household broker and a client that publishes the way an ESPHome node does (states retained). */
async function setup() {
  const broker = await startTestBroker();
  cleanups.push(() => broker.kill().catch(() => {}));
  const node: MqttClient = connect(broker.url, { clientId: 'esphome-node', protocolVersion: 4 });
  await new Promise<void>((r) => node.once('connect', () => r()));
  cleanups.push(() => node.endAsync(true));
  const publish = (kind: 'binary_sensor' | 'sensor', id: string, state: string) => node.publishAsync(`${PREFIX}/${kind}/${id}/state`, state, { qos: 1, retain: true });
  const events: DriverEvent[] = [];
  const errors: KhoaError[] = [];
  const start = async (options: Record<string, unknown> = OPTIONS) => {
    const lock: AgentLockConfig = { id: 'front', kind: 'lock_with_door', driver: 'esphome', options: { url: broker.url, ...options } };
    const d = esphomeDriver.create({ lock, emit: (e) => events.push(e), error: (e) => errors.push(e), log: quietLog(), clock: systemClock });
    cleanups.push(() => d.stop());
    await d.start();
  };
  return { publish, events, errors, start };
}
const settle = () => new Promise((r) => setTimeout(r, 80));

describe('esphome driver', () => {
  it('takes retained states as the baseline and reports changes', async () => {
    const { publish, events, errors, start } = await setup();
    await publish('binary_sensor', 'front_door', 'OFF');
    await publish('binary_sensor', 'front_lock', 'OFF');
    await publish('binary_sensor', 'case_open', 'OFF');
    await publish('sensor', 'battery_level', '87.0');
    await start();
    await settle();
    expect(events).toEqual([]);

    await publish('binary_sensor', 'front_lock', 'ON');
    await publish('binary_sensor', 'front_door', 'ON');
    await publish('binary_sensor', 'front_door', 'ON');
    await publish('sensor', 'battery_level', '85.5');
    await publish('sensor', 'battery_level', '80.2');
    await publish('binary_sensor', 'front_door', 'OFF');
    await publish('binary_sensor', 'front_lock', 'OFF');
    await publish('binary_sensor', 'panic', 'ON');
    await publish('binary_sensor', 'panic', 'OFF');
    await publish('binary_sensor', 'case_open', 'ON');
    await until(() => events.length === 7, 3000, 'seven events');
    expect(events).toEqual([
      { type: 'unlocked' },
      { type: 'door_open' },
      { type: 'battery', battery: 80 },
      { type: 'door_closed' },
      { type: 'locked' },
      { type: 'sos' },
      { type: 'tamper' },
    ]);
    expect(errors).toEqual([]);
  });

  it('reports an enclosure already open at start', async () => {
    const { publish, events, start } = await setup();
    await publish('binary_sensor', 'case_open', 'ON');
    await start();
    await until(() => events.length === 1, 3000, 'tamper');
    expect(events).toEqual([{ type: 'tamper' }]);
  });

  it('refuses and counts states that are not states, and ignores a sensor without a reading', async () => {
    const { publish, events, errors, start } = await setup();
    await start();
    await publish('binary_sensor', 'front_door', 'open');
    await publish('sensor', 'battery_level', '140');
    await publish('sensor', 'battery_level', 'lots');
    await publish('sensor', 'battery_level', 'nan');
    await publish('binary_sensor', 'front_door', 'x'.repeat(100));
    await publish('binary_sensor', 'front_door', 'ON');
    await until(() => events.length === 1, 3000, 'door_open');
    expect(events).toEqual([{ type: 'door_open' }]);
    expect(errors.map((e) => e.code)).toEqual(Array(4).fill('KHOA_ERR_PAYLOAD_INVALID'));
  });

  it('needs at least one sensor named', () => {
    const lock: AgentLockConfig = { id: 'x', kind: 'lock', driver: 'esphome', options: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'n' } };
    expect(() => esphomeDriver.create({ lock, emit: () => {}, error: () => {}, log: quietLog(), clock: systemClock })).toThrow(/at least one/);
  });
});
