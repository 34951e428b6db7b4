import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventQueue, type EventQueueOptions } from './event-queue.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-queue-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function opts(dir: string, over: Partial<EventQueueOptions> = {}): EventQueueOptions {
  return { dir, maxEvents: 100, maxBytes: 1 << 20, segmentMaxEvents: 4, cursorFlushMs: 5, fsync: 'always', clock: { now: () => 1_700_000_000_000 }, ...over };
}
const ev = (type: 'door_open' | 'door_closed' = 'door_open') => ({ ts: 1, type });
const seqs = (q: EventQueue) => q.entries().map((e) => e.event.seq);

describe('EventQueue', () => {
  it('starts a fresh data dir at the clock, so a reinstalled agent never reuses seqs', () => {
    const q = EventQueue.open(opts(tmp()));
    expect(q.append('front', ev()).event.seq).toBe(1_700_000_000_001);
    q.close();
  });

  it('keeps unacknowledged events across a restart, in order, and keeps counting upwards', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir));
    for (let i = 0; i < 10; i++) q.append('front', ev());
    const first = q.entries()[0]?.event.seq ?? 0;
    q.ack(first);
    q.ack(first + 1);
    q.close();
    const q2 = EventQueue.open(opts(dir));
    expect(seqs(q2)).toEqual(Array.from({ length: 8 }, (_, i) => first + 2 + i));
    expect(q2.append('back', ev()).event.seq).toBe(first + 10);
    q2.close();
  });

  it('keeps the highest seq when everything was acknowledged and every segment deleted', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir));
    const issued = Array.from({ length: 9 }, () => q.append('front', ev()).event.seq);
    for (const s of issued) q.ack(s);
    q.flush();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).length).toBeLessThanOrEqual(1);
    q.close();
    const q2 = EventQueue.open(opts(dir, { clock: { now: () => 0 } }));
    expect(q2.depth).toBe(0);
    expect(q2.append('front', ev()).event.seq).toBe((issued.at(-1) ?? 0) + 1);
    q2.close();
  });

  it('deletes segments only once every event in them is acknowledged', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir));
    const s = Array.from({ length: 10 }, () => q.append('front', ev()).event.seq);
    const segCount = () => fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).length;
    expect(segCount()).toBe(3);
    for (const x of s.slice(0, 5)) q.ack(x);
    q.flush();
    expect(segCount()).toBe(2);
    q.close();
  });

  it('drops the oldest past the count bound, and says how many', () => {
    const drops: number[] = [];
    const q = EventQueue.open(opts(tmp(), { maxEvents: 3, onDrop: (n) => drops.push(n) }));
    const s = Array.from({ length: 5 }, () => q.append('front', ev()).event.seq);
    expect(seqs(q)).toEqual(s.slice(2));
    expect(q.dropped).toBe(2);
    expect(drops).toEqual([1, 1]);
    q.close();
  });

  it('drops the oldest past the byte bound', () => {
    const q = EventQueue.open(opts(tmp(), { maxBytes: 300 }));
    for (let i = 0; i < 10; i++) q.append('front', ev());
    expect(q.bytes).toBeLessThanOrEqual(300);
    expect(q.depth).toBeGreaterThan(0);
    expect(q.depth + q.dropped).toBe(10);
    q.close();
  });

  it('applies the bound again on load (a smaller bound after an upgrade)', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir));
    for (let i = 0; i < 6; i++) q.append('front', ev());
    q.close();
    const q2 = EventQueue.open(opts(dir, { maxEvents: 2 }));
    expect(q2.depth).toBe(2);
    expect(q2.dropped).toBe(4);
    q2.close();
  });

  it('skips and counts torn, non-JSON and schema-breaking lines without losing the rest', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir, { segmentMaxEvents: 100 }));
    const s = Array.from({ length: 3 }, () => q.append('front', ev()).event.seq);
    q.close();
    const seg = fs.readdirSync(dir).find((n) => n.startsWith('seg-'));
    expect(seg).toBeDefined();
    const file = path.join(dir, seg as string);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const bad = [
      lines[0],
      'garbage',
      JSON.stringify({ lockId: 'front', event: { seq: 5, ts: 1, type: 'exploded' } }),
      JSON.stringify({ lockId: '../etc', event: { seq: 6, ts: 1, type: 'door_open' } }),
      lines[1],
      lines[2],
      '{"lockId":"front","event":{"seq":',
    ].join('\n');
    fs.writeFileSync(file, bad);
    let corrupt = 0;
    const q2 = EventQueue.open(opts(dir, { onCorrupt: (n) => (corrupt += n) }));
    expect(seqs(q2)).toEqual(s);
    expect(corrupt).toBe(4);
    // New events go to a new segment, never after the torn line.
    q2.append('front', ev());
    q2.close();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).length).toBe(2);
  });

  it('survives a damaged cursor by resending what is on disk', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir));
    const s = Array.from({ length: 3 }, () => q.append('front', ev()).event.seq);
    q.ack(s[0] as number);
    q.close();
    fs.writeFileSync(path.join(dir, 'cursor.json'), '{"acked":');
    let corrupt = 0;
    const q2 = EventQueue.open(opts(dir, { onCorrupt: (n) => (corrupt += n) }));
    expect(seqs(q2)).toEqual(s);
    expect(corrupt).toBe(1);
    q2.close();
  });

  it('skips a segment it cannot read instead of failing to open', () => {
    const dir = tmp();
    const q = EventQueue.open(opts(dir, { segmentMaxEvents: 2 }));
    const s = Array.from({ length: 4 }, () => q.append('front', ev()).event.seq);
    q.close();
    const first = fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).sort()[0] as string;
    // A directory where a segment file should be: reading it fails with EISDIR.
    fs.rmSync(path.join(dir, first));
    fs.mkdirSync(path.join(dir, first));
    let corrupt = 0;
    const q2 = EventQueue.open(opts(dir, { onCorrupt: (n) => (corrupt += n) }));
    expect(seqs(q2)).toEqual(s.slice(2));
    expect(corrupt).toBe(1);
    q2.close();
  });

  it('refuses an event that breaks the protocol schema', () => {
    const q = EventQueue.open(opts(tmp()));
    expect(() => q.append('front', { ts: 1, type: 'battery', battery: 140 })).toThrow(/battery/);
    expect(q.depth).toBe(0);
    q.close();
  });
});
