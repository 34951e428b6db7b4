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
  /**
   * Bound on events held only in memory because the disk refused them (full, read-only, failing
   * card). Past it the oldest of those are dropped and counted: what is already on disk is kept,
   * and the newest events, the ones most likely to matter, stay. Default: maxEvents.
   */
  memoryMaxEvents?: number;
  /** While the disk refuses writes, how often writing to it is tried again. Default 5 s. */
  retryMs?: number;
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
  /** `bound`: past maxEvents/maxBytes; `memory`: held in memory only, past memoryMaxEvents. */
  onDrop?: (count: number, reason: 'bound' | 'memory') => void;
  onCorrupt?: (count: number) => void;
  /** Every failed write (segment or cursor); the event is still kept in memory and sent if the link is up. */
  onWriteError?: (err: KhoaError) => void;
  /** The disk stopped taking writes (with the first error) or took them again: once per change, not per event. */
  onStorageChange?: (ok: boolean, err?: KhoaError) => void;
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
  /** Written true by a clean close only: otherwise seqs may have been issued that no file records. */
  clean?: boolean;
}

const CURSOR_FILE = 'cursor.json';

function parseCursor(value: unknown): Cursor | null {
  const c = value as Partial<Cursor> | null;
  if (!c || typeof c !== 'object' || !Number.isSafeInteger(c.acked) || !Number.isSafeInteger(c.lastSeq)) return null;
  return { acked: c.acked as number, lastSeq: c.lastSeq as number, clean: c.clean === true };
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
 *
 * When the disk refuses writes (ENOSPC on a full SD card, EROFS, EIO) events are kept in memory
 * only, up to `memoryMaxEvents`, still sent in order when the link is up, and written back to
 * disk, oldest first, as soon as it takes writes again: nothing is ever written to disk while an
 * older event is held in memory only, so segments stay in seq order.
 */
export class EventQueue {
  private pending: QueuedEvent[] = [];
  private pendingBytes = 0;
  private lastSeq: number;
  private segments: SegmentInfo[];
  private fd: number | null = null;
  private currentCount = 0;
  private cursorTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private memoryCount = 0;
  private diskOk = true;
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
    // After an unclean stop, seqs may have been issued to events the disk refused (and the hub
    // may hold them): continuing from the disk would reissue them, and the hub would drop the
    // new events as replays. The clock is ahead of any of them unless it is badly behind.
    const unclean = !fresh && cursor?.clean !== true;
    const lastSeq = fresh || unclean ? Math.max(0, maxSeq, Math.floor(opts.clock.now())) : Math.max(maxSeq, 0);
    const q = new EventQueue(opts, { pending, lastSeq, segments, corrupt });
    if (corrupt > 0) opts.onCorrupt?.(corrupt);
    q.enforceBound();
    // A full disk must not keep the agent from starting: it runs on memory until space returns.
    q.tryFlush();
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

  /** Events held only in memory because the disk refused them (lost if the agent stops). */
  get memoryOnly(): number {
    return this.memoryCount;
  }

  /** False from a failed write until a write succeeds again. */
  get storageOk(): boolean {
    return this.diskOk;
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
    const item: QueuedEvent = { lockId, event, bytes: Buffer.byteLength(encodeLine(lockId, event)), memoryOnly: true };
    this.pending.push(item);
    this.pendingBytes += item.bytes;
    this.memoryCount++;
    this.persist();
    this.enforceBound();
    return item;
  }

  /** The hub acknowledged `seq`. Returns false if it was no longer queued (dropped, or a duplicate ack). */
  ack(seq: number): boolean {
    const i = this.pending.findIndex((e) => e.event.seq === seq);
    if (i < 0) return false;
    const [gone] = this.pending.splice(i, 1);
    if (gone) this.forget(gone);
    if (i === 0) this.scheduleCursor();
    return true;
  }

  /** Writes the cursor now and deletes segments wholly behind it. */
  flush(clean = false): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    const cursor: Cursor = { acked: this.ackedUpTo(), lastSeq: this.lastSeq, clean };
    writeFileAtomic(path.join(this.opts.dir, CURSOR_FILE), `${JSON.stringify(cursor)}\n`);
    const current = this.fd !== null ? this.segments[this.segments.length - 1] : undefined;
    this.segments = this.segments.filter((s) => {
      if (s === current || s.lastSeq > cursor.acked) return true;
      fs.rmSync(path.join(this.opts.dir, s.name), { force: true });
      return false;
    });
  }

  /** Never throws: a cursor the disk refuses costs resends after a restart, which the hub deduplicates. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // Events held in memory only are lost with the process; a last try to save them.
    this.persist();
    // Clean only if every issued seq is on disk: otherwise the next start must skip past them.
    this.tryFlush(this.memoryCount === 0);
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private tryFlush(clean = false): void {
    try {
      this.flush(clean);
    } catch (err) {
      this.failed(err, 'cursor', this.lastSeq);
    }
  }

  private ackedUpTo(): number {
    const head = this.pending[0];
    return head ? head.event.seq - 1 : this.lastSeq;
  }

  private forget(item: QueuedEvent): void {
    this.pendingBytes -= item.bytes;
    if (item.memoryOnly) this.memoryCount--;
  }

  /**
   * Writes the events held in memory only, oldest first, stopping at the first failure. They are
   * always the newest ones (a suffix of `pending`): nothing is written while an older one waits.
   */
  private persist(): void {
    while (this.memoryCount > 0) {
      const item = this.pending[this.pending.length - this.memoryCount];
      if (!item || !this.write(item)) return;
      delete item.memoryOnly;
      this.memoryCount--;
    }
    if (this.diskOk) return;
    // Everything is on disk again (or was sent); the cursor write tells whether the disk is back.
    try {
      this.flush();
    } catch (err) {
      this.failed(err, 'cursor', this.lastSeq);
      return;
    }
    this.diskOk = true;
    this.opts.onStorageChange?.(true);
  }

  private write(item: QueuedEvent): boolean {
    const seq = item.event.seq;
    try {
      const fd = this.fd === null || this.currentCount >= this.opts.segmentMaxEvents ? this.rotate(seq) : this.fd;
      // writeSync may take part of the buffer (the last free blocks) and return without an error.
      const buf = Buffer.from(encodeLine(item.lockId, item.event));
      for (let off = 0; off < buf.length; ) {
        const n = fs.writeSync(fd, buf, off, buf.length - off);
        if (n <= 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        off += n;
      }
      if (this.opts.fsync === 'always') fs.fdatasyncSync(fd);
      const cur = this.segments[this.segments.length - 1];
      if (cur) cur.lastSeq = seq;
      this.currentCount++;
      return true;
    } catch (err) {
      // Start a fresh segment next time rather than appending after a partial line.
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = null;
      this.failed(err, 'segment', seq);
      return false;
    }
  }

  private failed(err: unknown, what: 'segment' | 'cursor', seq: number): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const e = new KhoaError('KHOA_ERR_STORAGE', `queue ${what} write failed: ${code}`, { dir: this.opts.dir, seq, code }, { cause: err });
    this.opts.onWriteError?.(e);
    if (this.diskOk) {
      this.diskOk = false;
      this.opts.onStorageChange?.(false, e);
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.persist();
    }, this.opts.retryMs ?? 5000);
    this.retryTimer.unref?.();
  }

  private rotate(firstSeq: number): number {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    const name = segmentName(firstSeq);
    // Never append to a segment from before: it may end with a torn line. A file of this name
    // can only be an earlier failed attempt at this very event, so it is replaced.
    const fd = fs.openSync(path.join(this.opts.dir, name), 'w', 0o600);
    this.fd = fd;
    syncDir(this.opts.dir);
    this.segments = this.segments.filter((s) => s.name !== name);
    this.segments.push({ name, firstSeq, lastSeq: firstSeq - 1 });
    this.currentCount = 0;
    return fd;
  }

  private enforceBound(): void {
    let dropped = 0;
    while (this.pending.length > 1 && (this.pending.length > this.opts.maxEvents || this.pendingBytes > this.opts.maxBytes)) {
      const gone = this.pending.shift();
      if (gone) this.forget(gone);
      dropped++;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.opts.onDrop?.(dropped, 'bound');
      this.scheduleCursor();
    }
    let fromMemory = 0;
    const memoryMax = this.opts.memoryMaxEvents ?? this.opts.maxEvents;
    if (this.memoryCount > memoryMax) {
      const over = this.memoryCount - memoryMax;
      for (const gone of this.pending.splice(this.pending.length - this.memoryCount, over)) this.forget(gone);
      fromMemory = over;
    }
    if (fromMemory > 0) {
      this.dropped += fromMemory;
      this.opts.onDrop?.(fromMemory, 'memory');
    }
  }

  private scheduleCursor(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null;
      this.tryFlush();
    }, this.opts.cursorFlushMs);
    this.cursorTimer.unref?.();
  }
}
