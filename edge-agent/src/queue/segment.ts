import fs from 'node:fs';
import { isValidId, lockEventValidator, type LockEvent } from '@khoa/protocol';

/** One line of a queue segment: which lock it came from and the event exactly as it goes on the wire. */
export interface QueuedEvent {
  lockId: string;
  event: LockEvent;
  /** Size of the line on disk, for the byte bound. */
  bytes: number;
  /** Set while the disk has refused it: the event exists only in this process. */
  memoryOnly?: true;
}

const SEGMENT_RE = /^seg-(\d{16})\.jsonl$/;

export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.jsonl`;
}

/** First seq of a segment from its file name, or `null` for a file that is not a segment. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_RE.exec(name);
  return m?.[1] ? Number(m[1]) : null;
}

export function encodeLine(lockId: string, event: LockEvent): string {
  return `${JSON.stringify({ lockId, event })}\n`;
}

export interface SegmentContents {
  events: QueuedEvent[];
  /** Lines that were torn (power cut mid-write), not JSON, or failed the schema. */
  corrupt: number;
}

/**
 * Reads a segment back. Every line is checked against the same schema the hub uses, so a
 * damaged file can at worst lose its damaged lines; it never puts a bad payload on the wire.
 */
export function readSegment(file: string): SegmentContents {
  const text = fs.readFileSync(file, 'utf8');
  const events: QueuedEvent[] = [];
  let corrupt = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      corrupt++;
      continue;
    }
    const rec = parsed as { lockId?: unknown; event?: unknown } | null;
    if (!rec || typeof rec !== 'object' || !isValidId(rec.lockId) || !lockEventValidator.check(rec.event).ok) {
      corrupt++;
      continue;
    }
    events.push({ lockId: rec.lockId, event: rec.event as LockEvent, bytes: Buffer.byteLength(line) + 1 });
  }
  return { events, corrupt };
}
