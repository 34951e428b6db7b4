import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type LockEvent, type Register } from '@khoa/protocol';
import type { MqttClient } from 'mqtt';
import { dbTargets } from '../testing/databases.ts';
import { metricValue, startTestHub, waitFor, type TestHub } from '../testing/harness.ts';

const A = { householdId: 'hh-a', deviceId: 'agent-a' };
const B = { householdId: 'hh-b', deviceId: 'agent-b' };

const lockEvent = (seq: number, type: LockEvent['type'], extra: Partial<LockEvent> = {}): Buffer => Buffer.from(JSON.stringify({ seq, ts: Date.now(), type, ...extra }));

describe.each(dbTargets)('ingest over MQTT on $name', (target) => {
  let t: TestHub;
  let a: MqttClient;
  let b: MqttClient;
  beforeAll(async () => {
    t = await startTestHub(target);
    const pa = await t.provision(A.householdId, A.deviceId);
    const pb = await t.provision(B.householdId, B.deviceId);
    a = await t.connect(A.deviceId, pa);
    b = await t.connect(B.deviceId, pb);
  });
  afterAll(() => t?.close());

  const events = (deviceId: string) => t.hub.db.kysely.selectFrom('events').selectAll().where('device_id', '=', deviceId).orderBy('seq').execute();
  const alerts = (householdId: string) => t.hub.db.kysely.selectFrom('alerts').selectAll().where('household_id', '=', householdId).execute();

  it('registers locks and cameras', async () => {
    const reg: Register = {
      agentVersion: '0.1.0',
      ts: Date.now(),
      locks: [{ id: 'front', kind: 'lock_with_door', driver: 'simulator', name: 'Cửa chính' }],
      cameras: [{ id: 'cam-1', source: 'simulated', width: 640, height: 360 }],
    };
    await a.publishAsync(topics.register(A), JSON.stringify(reg), { qos: 1 });
    const locks = await t.hub.db.kysely.selectFrom('locks').selectAll().where('device_id', '=', A.deviceId).execute();
    expect(locks).toMatchObject([{ lock_id: 'front', kind: 'lock_with_door', name: 'Cửa chính' }]);
    const cams = await t.hub.db.kysely.selectFrom('cameras').selectAll().where('device_id', '=', A.deviceId).execute();
    expect(cams).toMatchObject([{ camera_id: 'cam-1', width: 640 }]);
    const dev = await t.hub.db.kysely.selectFrom('devices').selectAll().where('id', '=', A.deviceId).executeTakeFirst();
    expect(dev?.agent_version).toBe('0.1.0');
  });

  it('turns a forced-door event into an event row and an alert row (QoS 1 ack means stored)', async () => {
    await a.publishAsync(topics.lockEvent(A, 'front'), lockEvent(1, 'forced'), { qos: 1 });
    // No waiting for the event: the PUBACK is only sent once it is stored. Its rules run after.
    expect(await events(A.deviceId)).toMatchObject([{ seq: 1, type: 'forced', lock_id: 'front', household_id: 'hh-a' }]);
    const [alert] = await waitFor(async () => ((await alerts('hh-a')).length > 0 ? alerts('hh-a') : undefined), 5000, 'the door_forced alert');
    expect(alert).toMatchObject({ kind: 'door_forced', status: 'new', severity: 'critical', device_id: A.deviceId, subject: 'front' });
    expect(alert?.source_event_id).toBe((await events(A.deviceId))[0]?.id);
    expect(await metricValue(t.hub, 'khoa_alerts_raised_total', { kind: 'door_forced' })).toBe(1);
  });

  it('stores a replayed event once and raises nothing twice', async () => {
    await a.publishAsync(topics.lockEvent(A, 'front'), lockEvent(1, 'forced'), { qos: 1 });
    await a.publishAsync(topics.lockEvent(A, 'front'), lockEvent(1, 'forced'), { qos: 1 });
    expect(await events(A.deviceId)).toHaveLength(1);
    await waitFor(async () => (await metricValue(t.hub, 'khoa_events_duplicate_total')) === 2, 5000, 'both replays counted');
    expect(await alerts('hh-a')).toHaveLength(1);
  });

  it('writes a burst from one device in shared transactions, in seq order, and runs every event\'s rules', async () => {
    const pc = await t.provision('hh-burst', 'agent-burst');
    const c = await t.connect('agent-burst', pc);
    const batches = async () => ({ ops: await metricValue(t.hub, 'khoa_db_group_commit_size_sum'), commits: await metricValue(t.hub, 'khoa_db_group_commit_size_count') });
    const before = await batches();
    // 200 events without waiting for each PUBACK (mqtt.js keeps them in order on the socket);
    // every tenth a tamper, which raises an alert only after its rules ran.
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.publishAsync(topics.lockEvent({ householdId: 'hh-burst', deviceId: 'agent-burst' }, 'back'), lockEvent(1001 + i, i % 10 === 9 ? 'tamper' : i % 2 ? 'locked' : 'unlocked'), { qos: 1 })));
    const stored = await events('agent-burst');
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 1001 + i));
    // Stored in arrival order: ids rise with seq.
    expect(stored.every((e, i) => i === 0 || Number(e.id) > Number(stored[i - 1]!.id))).toBe(true);
    await waitFor(async () => (await t.hub.db.kysely.selectFrom('events').select('id').where('device_id', '=', 'agent-burst').where('rules_done_at', 'is', null).execute()).length === 0, 5000, 'rules of every event done');
    expect((await alerts('hh-burst')).filter((al) => al.kind === 'tamper')).toHaveLength(1); // one open tamper alert per lock
    if (target.name === 'sqlite') {
      // One device's burst shares commits (writes plus rule marks): it used to be one commit each.
      const after = await batches();
      expect((after.ops - before.ops) / (after.commits - before.commits)).toBeGreaterThan(4);
    }
    await c.endAsync();
  });

  it('stores a QoS 0 flood from one device in seq order, each event once, with its rules', async () => {
    const dev = { householdId: 'hh-q0', deviceId: 'agent-q0' };
    const c = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
    // More than a group commit takes at once (EAGER_OPS), so some commit in the turn that filled
    // them and the rest on the next: the order must hold across both.
    for (let i = 0; i < 600; i++) c.publish(topics.lockEvent(dev, 'gate'), lockEvent(5001 + i, i === 599 ? 'tamper' : i % 2 ? 'locked' : 'unlocked'), { qos: 0 });
    const stored = await waitFor(async () => {
      const rows = await events(dev.deviceId);
      return rows.length === 600 ? rows : undefined;
    }, 10_000, '600 QoS 0 events stored');
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 600 }, (_, i) => 5001 + i));
    expect(stored.every((e, i) => i === 0 || Number(e.id) > Number(stored[i - 1]!.id))).toBe(true);
    const lock = await t.hub.db.kysely.selectFrom('locks').selectAll().where('device_id', '=', dev.deviceId).where('lock_id', '=', 'gate').executeTakeFirstOrThrow();
    expect(lock.lock_state).toBe('unlocked'); // i = 598, the last event to set it
    await waitFor(async () => (await alerts(dev.householdId)).some((al) => al.kind === 'tamper'), 5000, 'the last event\'s tamper alert');
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('drops malformed payloads, counts them by reason, and keeps serving another device', async () => {
    const topic = topics.lockEvent(B, 'door');
    await b.publishAsync(topic, '{"seq": 1, "ts": ', { qos: 1 }); // wrong JSON
    await b.publishAsync(topic, JSON.stringify({ seq: 'one', ts: 1, type: 'forced' }), { qos: 1 }); // wrong types
    await b.publishAsync(topic, JSON.stringify({ seq: 2, ts: 1, type: 'exploded' }), { qos: 1 }); // unknown event type
    await b.publishAsync(topic, Buffer.alloc(1024 * 1024, 0x41), { qos: 1 }); // 1 MB garbage
    await b.publishAsync(topic, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { qos: 1 }); // invalid UTF-8
    await b.publishAsync(topics.status(B), 'maybe', { qos: 1 }); // not a status
    await b.publishAsync(topics.camFrame(B, 'cam-9'), Buffer.from('not a frame'), { qos: 1 }); // bad envelope
    // Device A is served meanwhile, and B itself still works after its garbage.
    await a.publishAsync(topics.lockEvent(A, 'front'), lockEvent(2, 'locked'), { qos: 1 });
    await b.publishAsync(topic, lockEvent(3, 'tamper'), { qos: 1 });
    expect(b.connected).toBe(true);
    expect((await events(A.deviceId)).map((e) => e.seq)).toEqual([1, 2]);
    expect((await events(B.deviceId)).map((e) => e.type)).toEqual(['tamper']);
    const rejected = (reason: string, kind = 'lock_event') => metricValue(t.hub, 'khoa_payload_rejected_total', { kind, reason });
    expect(await rejected('json')).toBe(1);
    expect(await rejected('schema')).toBe(2);
    expect(await rejected('too_large')).toBe(1);
    expect(await rejected('utf8')).toBe(1);
    expect(await rejected('schema', 'status')).toBe(1);
    expect(await rejected('frame', 'cam_frame')).toBe(1);
  });

  it('refuses a publish under another household, stores nothing, and counts it', async () => {
    const closed = new Promise<void>((r) => b.once('close', () => r()));
    b.publish(topics.lockEvent(A, 'front'), lockEvent(99, 'forced'), { qos: 1 });
    await closed; // MQTT 3.1.1 has no negative PUBACK: the broker drops the connection.
    expect((await events(A.deviceId)).map((e) => e.seq)).toEqual([1, 2]);
    expect(await t.hub.db.kysely.selectFrom('events').selectAll().where('seq', '=', 99).execute()).toEqual([]);
    expect(await metricValue(t.hub, 'khoa_acl_rejected_total', { action: 'publish', reason: 'foreign_prefix' })).toBe(1);
  });

  it('refuses a wildcard publish and counts it', async () => {
    const pw = await t.provision('hh-w', 'agent-w');
    const w = await t.connect('agent-w', pw);
    const closed = new Promise<void>((r) => w.once('close', () => r()));
    w.publish('khoa/v1/hh-w/agent-w/lock/+/event', lockEvent(1, 'forced'), { qos: 1 });
    await closed;
    expect(await events('agent-w')).toEqual([]);
    expect(await metricValue(t.hub, 'khoa_acl_rejected_total', { action: 'publish', reason: 'wildcard' })).toBe(1);
  });

  it('delivers hub commands to the device on its own cmd topic and refuses foreign subscriptions', async () => {
    const granted = await a.subscribeAsync(topics.cmdFilter(A), { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    // Refused with SUBACK 0x80; mqtt.js turns that into a rejection, and the connection stays up.
    await expect(a.subscribeAsync(topics.cmdFilter(B), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(a.connected).toBe(true);
    expect(await metricValue(t.hub, 'khoa_acl_rejected_total', { action: 'subscribe', reason: 'foreign_prefix' })).toBe(1);
    const got = new Promise<{ topic: string; payload: string }>((resolve) => a.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
    await t.hub.sendCommand(A, 'arm', { transaction: 'tx-1' });
    expect(await got).toEqual({ topic: topics.cmd(A, 'arm'), payload: JSON.stringify({ transaction: 'tx-1' }) });
    await a.publishAsync(topics.reply(A, 'arm'), JSON.stringify({ transaction: 'tx-1', ok: true, state: { armed: true } }), { qos: 1 });
    const hh = await t.hub.db.kysely.selectFrom('households').selectAll().where('id', '=', 'hh-a').executeTakeFirst();
    expect(hh?.armed).toBe(1);
  });

  it('tracks online / offline from the status topic and the Last Will', async () => {
    const pw = await t.provision('hh-c', 'agent-c');
    const c = await t.connect('agent-c', pw, { will: { topic: topics.status({ householdId: 'hh-c', deviceId: 'agent-c' }), payload: Buffer.from('offline'), qos: 1, retain: true } });
    await c.publishAsync(topics.status({ householdId: 'hh-c', deviceId: 'agent-c' }), 'online', { qos: 1, retain: true });
    const status = async () => (await t.hub.db.kysely.selectFrom('devices').select('status').where('id', '=', 'agent-c').executeTakeFirst())?.status;
    expect(await status()).toBe('online');
    c.stream.destroy(); // dies without DISCONNECT: the broker publishes the will
    await waitFor(async () => (await status()) === 'offline', 5000, 'Last Will to mark the device offline');
  });

  it('keeps a device online when it reconnects over a connection the broker still held (session takeover)', async () => {
    const ref = { householdId: 'hh-d', deviceId: 'agent-d' };
    const pw = await t.provision(ref.householdId, ref.deviceId);
    const will = { topic: topics.status(ref), payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const first = await t.connect(ref.deviceId, pw, { will });
    await first.publishAsync(topics.status(ref), 'online', { qos: 1, retain: true });
    // The device comes back on a new connection while the old one is still open (a Wi-Fi drop
    // the broker has not noticed): the broker closes the old one, whose will fires. aedes fires
    // it before the new CONNACK; handlers/status.ts also ignores a will that would arrive later.
    const second = await t.connect(ref.deviceId, pw, { will });
    await second.publishAsync(topics.status(ref), 'online', { qos: 1, retain: true });
    await new Promise((r) => setTimeout(r, 200));
    const row = await t.hub.db.kysely.selectFrom('devices').select('status').where('id', '=', ref.deviceId).executeTakeFirst();
    expect(row?.status).toBe('online');
    first.end(true);
  });
});
