import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { topics, type DeviceRef } from '@khoa/protocol';
import { dbTargets } from '../hub/src/testing/databases.ts';
import { metricValue, startTestHub, waitFor, type TestHub } from '../hub/src/testing/harness.ts';
import { getHousehold } from '../hub/src/storage/households.ts';
import { endBrokerSessions } from '../hub/src/scale-out/hub-process.ts';

/**
 * The bridge's checks and the command path, with one in-process hub in scale-out mode on the
 * machine's real Mosquitto and PostgreSQL: what the external broker's ACL can not enforce (the
 * household segment, revocation) the hub does, and commands go out and replies come back.
 */
const BROKER_URL = process.env.KHOA_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const run = randomBytes(3).toString('hex');
const clientId = `khoa-bridge-test-${run}`;

describe('scale-out bridge', () => {
  let t: TestHub;
  let client: MqttClient;
  const dev: DeviceRef = { householdId: `hh-${run}-a`, deviceId: `dev-${run}-a` };
  const other: DeviceRef = { householdId: `hh-${run}-b`, deviceId: `dev-${run}-b` };
  const stored = async () => (await t.hub.db.kysely.selectFrom('events').select('seq').where('device_id', '=', dev.deviceId).execute()).map((r) => r.seq);
  const event = (seq: number) => JSON.stringify({ seq, ts: Date.now(), type: 'forced' });

  beforeAll(async () => {
    t = await startTestHub(dbTargets[1]!, { mqtt: { external: { url: BROKER_URL, clientId, shareGroup: `khoa-bridge-test-${run}` } } });
    await t.provision(dev.householdId, dev.deviceId);
    await t.provision(other.householdId, other.deviceId);
    client = await mqtt.connectAsync(BROKER_URL, { protocolVersion: 5, clientId: `${run}-device`, reconnectPeriod: 0 });
  }, 30_000);

  afterAll(async () => {
    await client?.endAsync(true);
    await t?.close();
    await endBrokerSessions(BROKER_URL, [clientId]);
  }, 20_000);

  it('listens on no port of its own', () => {
    expect(t.hub.mqttPort).toBe(0);
  });

  it('refuses a device writing under another household, and an unknown device, and counts why', async () => {
    await client.publishAsync(topics.lockEvent({ householdId: other.householdId, deviceId: dev.deviceId }, 'front'), event(1), { qos: 1 });
    await client.publishAsync(topics.lockEvent({ householdId: dev.householdId, deviceId: `ghost-${run}` }, 'front'), event(1), { qos: 1 });
    await waitFor(async () => (await metricValue(t.hub, 'khoa_acl_rejected_total', { reason: 'unknown_device' })) === 1, 5000, 'the unknown device refused');
    expect(await metricValue(t.hub, 'khoa_acl_rejected_total', { reason: 'foreign_prefix' })).toBe(1);
    expect(await stored()).toEqual([]);
  });

  it('sends commands out through the external broker and takes the reply back in', async () => {
    const cmds: Array<{ topic: string; transaction: string }> = [];
    client.on('message', (topic, payload) => cmds.push({ topic, transaction: (JSON.parse(payload.toString()) as { transaction: string }).transaction }));
    await client.subscribeAsync(topics.cmdFilter(dev), { qos: 1 });
    const transaction = randomUUID();
    await t.hub.sendCommand(dev, 'arm', { transaction });
    await waitFor(() => cmds.length > 0, 5000, 'the command at the device');
    expect(cmds).toEqual([{ topic: topics.cmd(dev, 'arm'), transaction }]);
    await client.publishAsync(topics.reply(dev, 'arm'), JSON.stringify({ transaction, ok: true, state: { armed: true } }), { qos: 1 });
    await waitFor(async () => (await getHousehold(t.hub.db.kysely, dev.householdId))?.armed === 1, 5000, 'the household armed by the reply');
  });

  it('handles a lock event at once while a backlog of register messages waits on its own connection', async () => {
    const registers = 300;
    const body = JSON.stringify({ agentVersion: '1.0.0', ts: Date.now(), locks: [], cameras: [] });
    // QoS 1 publishes are acknowledged by Mosquitto on arrival, so this floods the hub's presence session.
    await Promise.all(Array.from({ length: registers }, () => client.publishAsync(topics.register(dev), body, { qos: 1 })));
    await client.publishAsync(topics.lockEvent(dev, 'front'), event(2), { qos: 1 });
    await waitFor(async () => (await stored()).length === 1, 10_000, 'the event stored');
    expect(await metricValue(t.hub, 'khoa_mqtt_messages_in_total', { kind: 'register' })).toBeLessThan(registers);
    await waitFor(async () => (await metricValue(t.hub, 'khoa_mqtt_messages_in_total', { kind: 'register' })) === registers, 30_000, 'the registers handled');
  }, 40_000);

  it('refuses the device once it is revoked', async () => {
    expect(await t.hub.revokeDevice(dev.deviceId)).toBe(true);
    await client.publishAsync(topics.lockEvent(dev, 'front'), event(3), { qos: 1 });
    await waitFor(async () => (await metricValue(t.hub, 'khoa_acl_rejected_total', { reason: 'revoked' })) === 1, 5000, 'the revoked device refused');
    expect(await stored()).toEqual([2]);
  });
});
