import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventQueue, type EventQueueOptions } from './event-queue.ts';

// A real full filesystem: a small tmpfs (needs root and a container that allows mount).
function mountable(): boolean {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-q-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { stdio: 'ignore' });
    execFileSync('umount', [d], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmdirSync(d);
  }
}
const canMount = mountable();
if (!canMount) process.stderr.write('event-queue disk-full tests skipped: cannot mount a tmpfs here\n');

const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) {
    execFileSync('umount', [m]);
    fs.rmdirSync(m);
  }
});

function smallFs(kib = 64): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-q-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', d]);
  mounts.push(d);
  return d;
}

/** Fills the filesystem of `dir` with a file; returns a function that frees the space. */
function fill(dir: string): () => void {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return () => fs.rmSync(file);
}

function opts(dir: string, over: Partial<EventQueueOptions> = {}): EventQueueOptions {
  return { dir: path.join(dir, 'queue'), maxEvents: 10_000, maxBytes: 1 << 22, segmentMaxEvents: 20, cursorFlushMs: 5, fsync: 'always', retryMs: 20, clock: { now: () => 1_700_000_000_000 }, ...over };
}
const ev = { ts: 1, type: 'door_open' as const };
const seqs = (q: EventQueue) => q.entries().map((e) => e.event.seq);
const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out: ${what}`);
};

describe.skipIf(!canMount)('EventQueue on a full disk', () => {
  it('keeps appending in memory, says so once, and writes everything back in order when space returns', async () => {
    const dir = smallFs();
    const changes: boolean[] = [];
    const errors: string[] = [];
    const q = EventQueue.open(opts(dir, { onStorageChange: (ok) => changes.push(ok), onWriteError: (e) => errors.push(String(e.context.code)) }));
    const onDisk = Array.from({ length: 30 }, () => q.append('front', ev).event.seq);
    const free = fill(dir);
    const held = Array.from({ length: 200 }, () => q.append('front', ev).event.seq);
    expect(q.storageOk).toBe(false);
    expect(q.memoryOnly).toBeGreaterThan(150);
    expect(changes).toEqual([false]);
    expect(errors.length).toBeGreaterThan(150);
    expect(new Set(errors)).toEqual(new Set(['ENOSPC']));
    expect(seqs(q)).toEqual([...onDisk, ...held]);

    free();
    await until(() => q.storageOk && q.memoryOnly === 0, 'written back');
    expect(changes).toEqual([false, true]);
    q.close();
    let corrupt = 0;
    const q2 = EventQueue.open(opts(dir, { onCorrupt: (n) => (corrupt += n) }));
    // Every event once, in order; a line torn by the full disk may be counted, never doubled or lost.
    expect(seqs(q2)).toEqual([...onDisk, ...held]);
    expect(corrupt).toBeLessThanOrEqual(1);
    q2.close();
  });

  it('past the memory bound drops the oldest unsaved events, never what is on disk, and counts them', () => {
    const dir = smallFs();
    const drops: Array<[number, string]> = [];
    const q = EventQueue.open(opts(dir, { memoryMaxEvents: 50, onDrop: (n, why) => drops.push([n, why]) }));
    const onDisk = Array.from({ length: 30 }, () => q.append('front', ev).event.seq);
    fill(dir);
    const after = Array.from({ length: 120 }, () => q.append('front', ev).event.seq);
    const kept = seqs(q);
    expect(kept.slice(0, 30)).toEqual(onDisk);
    expect(q.memoryOnly).toBe(50);
    expect(kept.slice(-50)).toEqual(after.slice(-50));
    const dropped = drops.reduce((n, [c]) => n + c, 0);
    expect(new Set(drops.map(([, why]) => why))).toEqual(new Set(['memory']));
    expect(dropped).toBe(q.dropped);
    expect(kept.length + dropped).toBe(30 + 120);
    q.close();
  });

  it('opens and closes on a full disk without throwing', () => {
    const dir = smallFs();
    const q = EventQueue.open(opts(dir));
    q.append('front', ev);
    q.close();
    fill(dir);
    const changes: boolean[] = [];
    const q2 = EventQueue.open(opts(dir, { onStorageChange: (ok) => changes.push(ok) }));
    expect(q2.depth).toBe(1);
    q2.append('front', ev);
    expect(() => q2.close()).not.toThrow();
    expect(changes[0]).toBe(false);
  });

  it('after a stop that left seqs unrecorded, starts past them (from the clock) so the hub never takes new events for replays', () => {
    const dir = smallFs();
    let now = 1_700_000_000_000;
    const clock = { now: () => now };
    const q = EventQueue.open(opts(dir, { clock }));
    q.append('front', ev);
    fill(dir);
    // Sent from memory and acknowledged while the disk was full: issued, then gone, recorded nowhere.
    const unrecorded = Array.from({ length: 5 }, () => q.append('front', ev).event.seq);
    for (const s of unrecorded) q.ack(s);
    q.close();
    now += 60_000;
    const q2 = EventQueue.open(opts(dir, { clock }));
    const next = q2.append('front', ev).event.seq;
    expect(next).toBeGreaterThan(Math.max(...unrecorded));
    q2.close();
  });
});
