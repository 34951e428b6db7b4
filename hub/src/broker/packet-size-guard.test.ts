import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@khoa/protocol';
import { PacketSizeGuard } from './packet-size-guard.ts';
import { metricValue, startTestHub, type TestHub } from '../testing/harness.ts';

/** Remaining-length varint of MQTT 3.1.1 section 2.2.3. */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

const run = (guard: PacketSizeGuard, ...chunks: Buffer[]) =>
  new Promise<{ out: Buffer; err?: Error }>((resolve) => {
    const parts: Buffer[] = [];
    guard.on('data', (d: Buffer) => parts.push(d));
    guard.on('error', (err) => resolve({ out: Buffer.concat(parts), err }));
    guard.on('end', () => resolve({ out: Buffer.concat(parts) }));
    for (const c of chunks) guard.write(c);
    guard.end();
  });

describe('PacketSizeGuard', () => {
  it('passes packets within the bounds unchanged, even split across chunks', async () => {
    const connectPkt = Buffer.from([0x10, ...varint(20), ...Buffer.alloc(20)]);
    const publish = Buffer.from([0x30, ...varint(300), ...Buffer.alloc(300, 1)]);
    const all = Buffer.concat([connectPkt, publish, Buffer.from([0xc0, 0x00])]);
    const { out, err } = await run(new PacketSizeGuard(1000, 100), all.subarray(0, 3), all.subarray(3, 25), all.subarray(25, 24 + 150), all.subarray(24 + 150));
    expect(err).toBeUndefined();
    expect(out.equals(all)).toBe(true);
  });

  it('refuses a CONNECT over its bound and a later packet over the packet bound', async () => {
    expect((await run(new PacketSizeGuard(1000, 100), Buffer.from([0x10, ...varint(101)]))).err?.message).toMatch(/101 bytes > 100/);
    const ok = Buffer.from([0x10, ...varint(10), ...Buffer.alloc(10)]);
    expect((await run(new PacketSizeGuard(1000, 100), ok, Buffer.from([0x30, ...varint(100_000_000)]))).err?.message).toMatch(/100000000 bytes > 1000/);
  });

  it('refuses a malformed remaining length', async () => {
    expect((await run(new PacketSizeGuard(1000, 100), Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]))).err?.message).toMatch(/malformed/);
  });
});

describe('oversized MQTT packets on a real hub', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(undefined, { mqtt: { maxPacketBytes: 2 * 1024 * 1024 } });
  });
  afterAll(() => t?.close());

  it('drops an unauthenticated connection that announces a 200 MB CONNECT', async () => {
    const socket = connect(t.hub.mqttPort, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.write(Buffer.from([0x10, ...varint(200 * 1024 * 1024), 0x00, 0x04]));
    await closed;
    expect(await metricValue(t.hub, 'khoa_payload_rejected_total', { kind: 'packet', reason: 'too_large' })).toBe(1);
  });

  it('drops a device that publishes more than the bound, and keeps serving others', async () => {
    const dev = { householdId: 'hh-big', deviceId: 'agent-big' };
    const other = { householdId: 'hh-big', deviceId: 'agent-ok' };
    const big = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
    const ok = await t.connect(other.deviceId, await t.provision(other.householdId, other.deviceId));
    const closed = new Promise<void>((r) => big.once('close', () => r()));
    big.publish(topics.camFrame(dev, 'cam-1'), Buffer.alloc(3 * 1024 * 1024, 0xff), { qos: 0 });
    await closed;
    await ok.publishAsync(topics.lockEvent(other, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'locked' }), { qos: 1 });
    expect(await t.hub.db.kysely.selectFrom('events').select('seq').where('device_id', '=', other.deviceId).execute()).toEqual([{ seq: 1 }]);
    expect(await metricValue(t.hub, 'khoa_payload_rejected_total', { kind: 'packet', reason: 'too_large' })).toBe(2);
  });
});
