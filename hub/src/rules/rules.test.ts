import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { parseFacts, topics, type AlertKind, type LockEvent } from '@khoa/protocol';
import { metricValue, startTestHub, waitFor, type TestHub } from '../testing/harness.ts';
import { RuleEngine } from './engine.ts';
import { createMetrics } from '../metrics.ts';
import type { RuleContext } from './types.ts';
import { dbTargets } from '../testing/databases.ts';
import { doorForced } from './door-forced.ts';
import type { Rule } from './types.ts';

const vn = (local: string) => Date.parse(`${local}+07:00`);
const MIN = 60_000;

/**
 * Every rule through the real path: an MQTT publish from a provisioned device, ingest,
 * storage, the rule, the alert row. Time-based rules run on `hub.rules.tick()` with the hub's
 * clock moved by the test.
 */
describe.each(dbTargets)('rules on $name', (target) => {
  let t: TestHub;
  let now = vn('2026-11-23T12:00:00');
  let seq = 0;
  const dev = { householdId: 'hh-r', deviceId: 'agent-r' };
  let c: MqttClient;
  beforeAll(async () => {
    t = await startTestHub(target, { rules: { keypadFailures: 5, lowBatteryPercent: 20, lockOpenNightMinutes: 15, agentOfflineGraceMs: 5 * MIN } }, { now: () => now, ruleTimer: false });
    c = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
  });
  afterAll(() => t?.close());

  const send = (lockId: string, type: LockEvent['type'], extra: Partial<LockEvent> = {}) =>
    c.publishAsync(topics.lockEvent(dev, lockId), JSON.stringify({ seq: ++seq, ts: now, type, ...extra }), { qos: 1 });
  const alertsOf = (kind: AlertKind) => t.hub.db.kysely.selectFrom('alerts').selectAll().where('kind', '=', kind).execute();

  it('door forced', async () => {
    await send('front', 'forced');
    expect(await alertsOf('door_forced')).toMatchObject([{ subject: 'front', severity: 'critical', household_id: 'hh-r' }]);
    await send('front', 'door_closed'); // a forced door counts as open until it is closed again
  });

  it('door opened while armed, not while disarmed', async () => {
    await send('back', 'door_open');
    expect(await alertsOf('door_open_armed')).toHaveLength(0);
    await c.publishAsync(topics.heartbeat(dev), JSON.stringify({ ts: now, uptimeS: 5, queued: 0, dropped: 0, armed: true }), { qos: 1 });
    await send('back', 'door_open');
    expect(await alertsOf('door_open_armed')).toMatchObject([{ subject: 'back', severity: 'critical' }]);
    await c.publishAsync(topics.heartbeat(dev), JSON.stringify({ ts: now, uptimeS: 6, queued: 0, dropped: 0, armed: false }), { qos: 1 });
    await send('back', 'door_closed');
  });

  it('tamper', async () => {
    await send('front', 'tamper');
    expect(await alertsOf('tamper')).toMatchObject([{ subject: 'front', severity: 'high' }]);
  });

  it('repeated keypad failures at the threshold only', async () => {
    await send('keypad', 'keypad_failures', { failures: 3 });
    expect(await alertsOf('keypad_failures')).toHaveLength(0);
    await send('keypad', 'keypad_failures', { failures: 5 });
    const [keypad] = await alertsOf('keypad_failures');
    expect(keypad).toMatchObject({ subject: 'keypad' });
    expect(parseFacts(keypad!.detail)).toEqual({ lock: 'keypad', failures: 5 });
  });

  it('low battery below the threshold, once per lock however many reports', async () => {
    await send('front', 'battery', { battery: 55 });
    expect(await alertsOf('low_battery')).toHaveLength(0);
    for (let i = 0; i < 50; i++) await send('front', 'battery', { battery: 15 - i / 10 });
    // The rules run after the PUBACK: the last report's may still be running.
    await waitFor(async () => (await metricValue(t.hub, 'khoa_alerts_deduplicated_total', { kind: 'low_battery' })) >= 49, 5000, '49 deduplicated reports');
    expect(await alertsOf('low_battery')).toHaveLength(1);
    expect(await metricValue(t.hub, 'khoa_alerts_deduplicated_total', { kind: 'low_battery' })).toBe(49);
  });

  it('jammed and sos', async () => {
    await send('front', 'jammed');
    await send('keyring', 'sos');
    expect(await alertsOf('jammed')).toMatchObject([{ subject: 'front', severity: 'medium' }]);
    expect(await alertsOf('sos')).toMatchObject([{ subject: 'keyring', severity: 'critical' }]);
  });

  it('camera lost and camera blinded', async () => {
    const state = (camera: string, s: string) => c.publishAsync(topics.camState(dev, camera), JSON.stringify({ ts: now, state: s }), { qos: 1 });
    await state('cam-1', 'streaming');
    await state('cam-1', 'reconnecting');
    expect(await alertsOf('camera_lost')).toHaveLength(0);
    await state('cam-1', 'lost');
    await state('cam-2', 'blinded');
    expect(await alertsOf('camera_lost')).toMatchObject([{ subject: 'cam-1' }]);
    expect(await alertsOf('camera_blinded')).toMatchObject([{ subject: 'cam-2', severity: 'high' }]);
  });

  it('lock left unlocked into the household night (22:00-05:30 by default), with its grace', async () => {
    now = vn('2026-11-23T10:00:00');
    await send('garage', 'unlocked');
    await send('side', 'locked');
    now = vn('2026-11-23T12:00:00');
    await t.hub.rules.tick();
    expect(await alertsOf('lock_open_night')).toHaveLength(0); // daytime

    now = vn('2026-11-23T22:10:00');
    await t.hub.rules.tick();
    expect(await alertsOf('lock_open_night')).toHaveLength(0); // 10 min into the night

    now = vn('2026-11-23T22:16:00');
    await t.hub.rules.tick();
    expect(await alertsOf('lock_open_night')).toMatchObject([{ subject: 'garage', severity: 'medium' }]);

    // Unlocked late at night: the grace counts from the unlocking, not from 22:00.
    now = vn('2026-11-23T23:00:00');
    await send('side', 'unlocked');
    now = vn('2026-11-23T23:10:00');
    await t.hub.rules.tick();
    expect((await alertsOf('lock_open_night')).map((a) => a.subject)).toEqual(['garage']);
    now = vn('2026-11-23T23:16:00');
    await t.hub.rules.tick();
    expect((await alertsOf('lock_open_night')).map((a) => a.subject).sort()).toEqual(['garage', 'side']);
    await t.hub.rules.tick();
    expect(await alertsOf('lock_open_night')).toHaveLength(2); // not raised again while open
    await t.hub.db.kysely.updateTable('alerts').set({ status: 'resolved' }).where('kind', '=', 'lock_open_night').execute();
    now = vn('2026-11-23T23:30:00');
    await t.hub.rules.tick();
    expect(await alertsOf('lock_open_night')).toHaveLength(2); // police closed them: not again this night
    now = vn('2026-11-24T22:20:00');
    await t.hub.rules.tick();
    expect(await alertsOf('lock_open_night')).toHaveLength(4); // still open the next night: again
    await send('garage', 'locked');
    await send('side', 'locked');
  });

  it('agent offline past the grace period; a reconnect within it cancels', async () => {
    now = vn('2026-11-25T08:00:00');
    const other = { householdId: 'hh-r', deviceId: 'agent-blip' };
    const blip = await t.connect(other.deviceId, await t.provision(other.householdId, other.deviceId));
    await blip.publishAsync(topics.status(other), 'offline', { qos: 1, retain: true });
    await c.publishAsync(topics.status(dev), 'offline', { qos: 1, retain: true });
    now += 2 * MIN;
    await blip.publishAsync(topics.status(other), 'online', { qos: 1, retain: true }); // back within the grace
    await t.hub.rules.tick();
    expect(await alertsOf('agent_offline')).toHaveLength(0);
    now += 3 * MIN;
    await t.hub.rules.tick();
    expect(await alertsOf('agent_offline')).toMatchObject([{ device_id: 'agent-r', subject: '' }]);
    await t.hub.db.kysely.updateTable('alerts').set({ status: 'resolved' }).where('kind', '=', 'agent_offline').execute();
    now += 10 * MIN;
    await t.hub.rules.tick();
    expect(await alertsOf('agent_offline')).toHaveLength(1); // same outage, already handled
  });
});

describe('rule isolation', () => {
  let t: TestHub;
  afterAll(() => t?.close());

  it('a throwing rule is counted and logged; the others still raise their alerts', async () => {
    const broken: Rule = {
      name: 'broken',
      on: {
        lock_event() {
          throw new Error('bug in a rule');
        },
      },
      tick: async () => {
        throw new Error('bug in a tick');
      },
    };
    t = await startTestHub(undefined, {}, { rules: [broken, doorForced], ruleTimer: false });
    const dev = { householdId: 'hh-i', deviceId: 'agent-i' };
    const c = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
    await c.publishAsync(topics.lockEvent(dev, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'forced' }), { qos: 1 });
    await t.hub.rules.tick();
    // The PUBACK means stored; the event's rules run right after it.
    const alerts = await waitFor(async () => {
      const rows = await t.hub.db.kysely.selectFrom('alerts').selectAll().execute();
      return rows.length > 0 ? rows : undefined;
    }, 5000, 'the door_forced alert');
    expect(alerts).toMatchObject([{ kind: 'door_forced' }]);
    expect(await metricValue(t.hub, 'khoa_rule_failures_total', { rule: 'broken' })).toBe(2);
    expect(c.connected).toBe(true);
  });
});

describe('rule dispatch', () => {
  it('calls a lock-event rule only for the event types it names, and every type for a rule that names none', async () => {
    const calls: string[] = [];
    const onlyForced: Rule = { name: 'only-forced', lockEventTypes: ['forced'], on: { lock_event: (i) => void calls.push(`forced-rule:${i.event.type}`) } };
    const any: Rule = { name: 'any', on: { lock_event: (i) => void calls.push(`any:${i.event.type}`) } };
    const engine = new RuleEngine([onlyForced, any], {} as RuleContext, createMetrics({ connectedClients: () => 0, defaultMetrics: false }));
    const input = (type: LockEvent['type']) => ({ kind: 'lock_event' as const, deviceId: 'd', householdId: 'h', lockId: 'l', event: { seq: 1, ts: 1, type }, eventId: 1, receivedAt: 1, household: async () => undefined });
    expect(await engine.dispatch(input('locked'))).toEqual([]);
    expect(await engine.dispatch(input('forced'))).toEqual([]);
    expect(await engine.dispatch(input('locked'))).toEqual([]);
    expect(calls).toEqual(['any:locked', 'forced-rule:forced', 'any:forced', 'any:locked']);
  });
});
