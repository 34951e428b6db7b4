import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  commandReplyValidator,
  decodeFrame,
  heartbeatValidator,
  lockEventValidator,
  parseJsonPayload,
  parseStatus,
  parseTopic,
  registerValidator,
  topics,
  cameraStateValidator,
  type ParsedTopic,
} from '@khoa/protocol';
import { startTestHub, waitFor, type TestHub } from '@khoa/hub/testing';

// Hostile input at the MQTT edge: every payload and topic from outside is untrusted. Goal: no
// throw, no crash, a clear refusal that is counted, and the hub keeps serving honest devices.

function rebuild(p: ParsedTopic): string {
  switch (p.kind) {
    case 'status': return topics.status(p);
    case 'register': return topics.register(p);
    case 'heartbeat': return topics.heartbeat(p);
    case 'lock_event': return topics.lockEvent(p, p.lockId);
    case 'cam_frame': return topics.camFrame(p, p.cameraId);
    case 'cam_state': return topics.camState(p, p.cameraId);
    case 'cmd': return topics.cmd(p, p.command);
    case 'reply': return topics.reply(p, p.command);
  }
}

const segment = fc.oneof(fc.constantFrom('khoa', 'v1', 'h1', 'd1', 'lock', 'cam', 'event', 'frame', 'state', 'cmd', 'arm', '+', '#', '', '$SYS'), fc.string({ maxLength: 12 }));
const topicLike = fc.array(segment, { maxLength: 9 }).map((s) => s.join('/'));
const bytes = fc.uint8Array({ maxLength: 2048 });
const jsonish = fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

describe('protocol parsers under arbitrary input', () => {
  it('parseTopic never throws, and what it accepts is exactly what the builders make', () => {
    fc.assert(
      fc.property(fc.oneof(topicLike, fc.string({ maxLength: 600 })), (topic) => {
        const parsed = parseTopic(topic);
        if (parsed) expect(rebuild(parsed)).toBe(topic);
      }),
      { numRuns: 3000 },
    );
  });

  it('every payload validator returns a result (never throws) on any bytes or JSON', () => {
    const check = (payload: Uint8Array) => [
      parseJsonPayload(lockEventValidator, payload),
      parseJsonPayload(registerValidator, payload),
      parseJsonPayload(heartbeatValidator, payload),
      parseJsonPayload(cameraStateValidator, payload),
      parseJsonPayload(commandReplyValidator, payload),
    ];
    fc.assert(
      fc.property(fc.oneof(bytes, jsonish), (payload) => {
        for (const r of check(payload)) if (!r.ok) expect(r.error.code).toMatch(/^KHOA_ERR_PAYLOAD_/);
        const s = parseStatus(payload);
        expect(s === null || s === 'online' || s === 'offline').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeFrame refuses malformed envelopes with a code, never a throw', () => {
    fc.assert(
      fc.property(bytes, fc.boolean(), (body, withMagic) => {
        const payload = Buffer.from(withMagic ? Buffer.concat([Buffer.from([0x4b, 0x46, 1]), body]) : body);
        const r = decodeFrame(payload);
        if (!r.ok) expect(r.error.code).toMatch(/^KHOA_ERR_(FRAME_INVALID|PAYLOAD_TOO_LARGE)$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a running hub under hostile MQTT input', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('drops and counts random payloads on every topic kind, stores nothing from them, keeps serving', async () => {
    const password = await t.provision('hh-fuzz', 'dev-fuzz');
    const attacker = await t.connect('dev-fuzz', password);
    const ref = { householdId: 'hh-fuzz', deviceId: 'dev-fuzz' };
    const targets = [topics.lockEvent(ref, 'l1'), topics.register(ref), topics.heartbeat(ref), topics.camState(ref, 'c1'), topics.camFrame(ref, 'c1'), topics.reply(ref, 'arm'), topics.status(ref)];
    const samples = fc.sample(fc.tuple(fc.constantFrom(...targets), fc.oneof(bytes, jsonish)), { numRuns: 300, seed: 42 });
    // Payloads that happen to be valid are fine; the point is that nothing else gets through.
    for (const [topic, payload] of samples) await attacker.publishAsync(topic, Buffer.from(payload), { qos: 1 });

    const rejected = await waitFor(async () => ((await sumMetric('khoa_payload_rejected_total')) > 250 ? sumMetric('khoa_payload_rejected_total') : 0), 10_000, 'rejections counted');
    expect(rejected).toBeGreaterThan(250);
    const stored = await t.hub.db.kysely.selectFrom('events').select('seq').where('device_id', '=', 'dev-fuzz').execute();
    for (const e of stored) expect(Number.isInteger(Number(e.seq))).toBe(true);

    // An honest device of another household is still served.
    const pw2 = await t.provision('hh-honest', 'dev-honest');
    const honest = await t.connect('dev-honest', pw2);
    await honest.publishAsync(topics.lockEvent({ householdId: 'hh-honest', deviceId: 'dev-honest' }, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'forced' }), { qos: 1 });
    await waitFor(() => t.hub.db.kysely.selectFrom('alerts').select('id').where('household_id', '=', 'hh-honest').executeTakeFirst(), 5000, 'honest alert');
    const health = await fetch(`${t.http}/healthz`);
    expect(health.status).toBe(200);
  }, 60_000);

  async function sumMetric(name: string): Promise<number> {
    const m = await t.hub.metrics.registry.getSingleMetric(name)?.get();
    return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
  }

  it('survives raw malformed MQTT packets on the socket and still accepts a real client', async () => {
    const rawPackets: Buffer[] = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), // CONNECT with an impossible remaining length
      Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x09, 0x02, 0x00, 0x3c, 0x00, 0x00]), // protocol level 9
      Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x61, 0x61]), // PUBLISH before CONNECT
      Buffer.from([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x23, 0x00]), // SUBSCRIBE to "#" before CONNECT
      Buffer.from([0x10, 0x10, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, 0x64, 0x65, 0x76]), // truncated client id
      ...fc.sample(fc.uint8Array({ minLength: 1, maxLength: 256 }), { numRuns: 60, seed: 7 }).map((a) => Buffer.from(a)),
    ];
    for (const packet of rawPackets) {
      const closed = await new Promise<boolean>((resolve) => {
        const s: Socket = tcpConnect(t.hub.mqttPort, '127.0.0.1', () => s.end(packet));
        const timer = setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 3000);
        s.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        s.on('error', () => {});
      });
      expect(closed).toBe(true);
    }
    const pw = await t.provision('hh-after', 'dev-after');
    const c = await t.connect('dev-after', pw);
    expect(c.connected).toBe(true);
    expect((await fetch(`${t.http}/healthz`)).status).toBe(200);
  }, 120_000);
});
