import fs from 'node:fs';
import path from 'node:path';
import { KhoaError, lockEventValidator, type LockEvent } from '@khoa/protocol';
import type { Clock } from '../clock.ts';
import { readJsonFile, syncDir, writeFileAtomic } from './atomic-file.ts';
import { encodeLine, parseSegmentName, readSegment, segmentName, type QueuedEvent } from './segment.ts';

export type { QueuedEvent } from './segment.ts';

export interface EventQueueOptions {
  /** Directory of its own (segments and the cursor file live in it). */
  dir: string;
  /** Bound on events kept; past it the oldest are dropped and counted. */
  maxEvents: number;
  /** Bound on bytes kept, same policy. */
  maxBytes: number;
  /** Events per segment file before a new one is started. */
  segmentMaxEvents: number;
  /** How long acknowledgements may sit in memory before the cursor is written. */
  cursorFlushMs: number;
  /**
   * `always`: fdatasync after every append. Lock events are rare and each one may be the only
   * record of a break-in, so the default pays an SD-card sync per event. `never` is for tests
   * and for filesystems without a write cache.
   */
  fsync: 'always' | 'never';
  /** Seeds the sequence of a fresh data dir (see `open`). */
  clock: Clock;
  onDrop?: (count: number) => void;
  onCorrupt?: (count: number) => void;
  /** A write to disk failed; the event is still kept in memory and sent if the link is up. */
  onWriteError?: (err: KhoaError) => void;
}

interface SegmentInfo {
  name: string;
  firstSeq: number;
  /** Highest seq written to it; `firstSeq - 1` while empty. */
  lastSeq: number;
}

interface Cursor {
  /** Every seq up to and including this one is done (acknowledged by the hub or dropped). */
  acked: number;
  /** Highest seq ever issued, so a restart with an empty queue keeps counting upwards. */
  lastSeq: number;
}

const CURSOR_FILE = 'cursor.json';

function parseCursor(value: unknown): Cursor | null {
  const c = value as Partial<Cursor> | null;
  if (!c || typeof c !== 'object' || !Number.isSafeInteger(c.acked) || !Number.isSafeInteger(c.lastSeq)) return null;
  return { acked: c.acked as number, lastSeq: c.lastSeq as number };
}

/**
 * Store-and-forward queue of lock events: append-only JSONL segment files plus a cursor file.
 *
 * Events are removed from memory when the hub acknowledges them (PUBACK); on disk, the cursor
 * records how far that has got, and segment files wholly behind it are deleted. The cursor is
 * written lazily (a restart may resend a few acknowledged events; the hub stores an event once
 * per device and seq), but always before a segment is deleted, so the highest issued seq is
 * never lost and seqs keep increasing across restarts.
 *
 * File operations are synchronous: events are rare, ordering is then trivial, and the agent
 * never reports an event as made before it is on disk.
 */
export class EventQueue {
  private pending: QueuedEvent[] = [];
  private pendingBytes = 0;
  private lastSeq: number;
  private segments: SegmentInfo[];
  private fd: number | null = null;
  private currentCount = 0;
  private cursorTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Totals since this process opened the queue. */
  dropped = 0;
  corrupt = 0;

  private constructor(
    private readonly opts: EventQueueOptions,
    init: { pending: QueuedEvent[]; lastSeq: number; segments: SegmentInfo[]; corrupt: number },
  ) {
    this.pending = init.pending;
    this.pendingBytes = init.pending.reduce((n, e) => n + e.bytes, 0);
    this.lastSeq = init.lastSeq;
    this.segments = init.segments;
    this.corrupt = init.corrupt;
  }

  /**
   * Opens (or creates) the queue and reloads what a previous run left. A fresh directory starts
   * its sequence at the current epoch milliseconds rather than 0: an agent reinstalled on a new
   * SD card then cannot reuse seqs the hub already stored (and would drop as replays).
   */
  static open(opts: EventQueueOptions): EventQueue {
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    let corrupt = 0;
    const rawCursor = readJsonFile(path.join(opts.dir, CURSOR_FILE));
    const cursor = rawCursor === undefined ? null : parseCursor(rawCursor);
    // A damaged cursor costs resending what is still on disk; the hub deduplicates it.
    if (rawCursor !== undefined && !cursor) corrupt++;
    const names = fs.readdirSync(opts.dir);
    for (const n of names) if (n.endsWith('.tmp')) fs.rmSync(path.join(opts.dir, n), { force: true });
    const segs = names
      .map((name) => ({ name, firstSeq: parseSegmentName(name) }))
      .filter((s): s is { name: string; firstSeq: number } => s.firstSeq !== null)
      .sort((a, b) => a.firstSeq - b.firstSeq);
    const acked = cursor?.acked ?? -1;
    const pending: QueuedEvent[] = [];
    const segments: SegmentInfo[] = [];
    let maxSeq = cursor?.lastSeq ?? -1;
    for (const s of segs) {
      let contents: ReturnType<typeof readSegment>;
      try {
        contents = readSegment(path.join(opts.dir, s.name));
      } catch {
        // An unreadable file (EIO on a failing card) costs its own events, not the agent's start.
        // It is left in place, untracked, for whoever looks at the card.
        corrupt++;
        continue;
      }
      corrupt += contents.corrupt;
      let last = s.firstSeq - 1;
      for (const e of contents.events) {
        const seq = e.event.seq;
        last = Math.max(last, seq);
        maxSeq = Math.max(maxSeq, seq);
        if (seq <= acked) continue;
        // Out-of-order lines can only come from a damaged or hand-edited file; order is the contract.
        const prev = pending[pending.length - 1];
        if (prev && seq <= prev.event.seq) {
          corrupt++;
          continue;
        }
        pending.push(e);
      }
      segments.push({ name: s.name, firstSeq: s.firstSeq, lastSeq: last });
    }
    const fresh = !cursor && segs.length === 0;
    const lastSeq = fresh ? Math.max(0, Math.floor(opts.clock.now())) : Math.max(maxSeq, 0);
    const q = new EventQueue(opts, { pending, lastSeq, segments, corrupt });
    if (corrupt > 0) opts.onCorrupt?.(corrupt);
    q.enforceBound();
    q.flush();
    return q;
  }

  /** Events waiting for acknowledgement. */
  get depth(): number {
    return this.pending.length;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  /** The highest seq issued so far. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Pending events, oldest first. The array is live: do not keep it across awaits. */
  entries(): readonly QueuedEvent[] {
    return this.pending;
  }

  /** Gives the event the next seq, writes it to disk, and queues it. Throws only on an invalid event. */
  append(lockId: string, fields: Omit<LockEvent, 'seq'>): QueuedEvent {
    if (this.closed) throw new KhoaError('KHOA_ERR_STORAGE', 'queue is closed');
    const event = { seq: this.lastSeq + 1, ...fields } as LockEvent;
    const checked = lockEventValidator.check(event);
    if (!checked.ok) throw new KhoaError('KHOA_ERR_DRIVER', checked.error.message, { lockId, ...checked.error.context });
    this.lastSeq = event.seq;
    const line = encodeLine(lockId, event);
    const item: QueuedEvent = { lockId, event, bytes: Buffer.byteLength(line) };
    this.write(line, event.seq);
    this.pending.push(item);
    this.pendingBytes += item.bytes;
    this.enforceBound();
    return item;
  }

  /** The hub acknowledged `seq`. Returns false if it was no longer queued (dropped, or a duplicate ack). */
  ack(seq: number): boolean {
    const i = this.pending.findIndex((e) => e.event.seq === seq);
    if (i < 0) return false;
    const [gone] = this.pending.splice(i, 1);
    this.pendingBytes -= gone?.bytes ?? 0;
    if (i === 0) this.scheduleCursor();
    return true;
  }

  /** Writes the cursor now and deletes segments wholly behind it. */
  flush(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    const cursor: Cursor = { acked: this.ackedUpTo(), lastSeq: this.lastSeq };
    writeFileAtomic(path.join(this.opts.dir, CURSOR_FILE), `${JSON.stringify(cursor)}\n`);
    const current = this.fd !== null ? this.segments[this.segments.length - 1] : undefined;
    this.segments = this.segments.filter((s) => {
      if (s === current || s.lastSeq > cursor.acked) return true;
      fs.rmSync(path.join(this.opts.dir, s.name), { force: true });
      return false;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
    } finally {
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  private ackedUpTo(): number {
    const head = this.pending[0];
    return head ? head.event.seq - 1 : this.lastSeq;
  }

  private write(line: string, seq: number): void {
    try {
      const fd = this.fd === null || this.currentCount >= this.opts.segmentMaxEvents ? this.rotate(seq) : this.fd;
      fs.writeSync(fd, line);
      if (this.opts.fsync === 'always') fs.fdatasyncSync(fd);
      const cur = this.segments[this.segments.length - 1];
      if (cur) cur.lastSeq = seq;
      this.currentCount++;
    } catch (err) {
      // Disk full or failing card: keep the event in memory (still sent if the link is up) and
      // start a fresh segment next time rather than appending after a partial line.
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = null;
      this.opts.onWriteError?.(new KhoaError('KHOA_ERR_STORAGE', `queue write failed: ${(err as Error).message}`, { seq }, { cause: err }));
    }
  }

  private rotate(firstSeq: number): number {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    const name = segmentName(firstSeq);
    // Never append to a segment from before: it may end with a torn line.
    const fd = fs.openSync(path.join(this.opts.dir, name), 'a', 0o600);
    this.fd = fd;
    syncDir(this.opts.dir);
    this.segments.push({ name, firstSeq, lastSeq: firstSeq - 1 });
    this.currentCount = 0;
    return fd;
  }

  private enforceBound(): void {
    let dropped = 0;
    while (this.pending.length > 1 && (this.pending.length > this.opts.maxEvents || this.pendingBytes > this.opts.maxBytes)) {
      const gone = this.pending.shift();
      this.pendingBytes -= gone?.bytes ?? 0;
      dropped++;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.opts.onDrop?.(dropped);
      this.scheduleCursor();
    }
  }

  private scheduleCursor(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null;
      try {
        this.flush();
      } catch (err) {
        this.opts.onWriteError?.(new KhoaError('KHOA_ERR_STORAGE', `cursor write failed: ${(err as Error).message}`, {}, { cause: err }));
      }
    }, this.opts.cursorFlushMs);
    this.cursorTimer.unref?.();
  }
}
