import { readdirSync, readFileSync } from 'node:fs';
import type { CameraStateMessage, FrameHeader } from '@khoa/protocol';
import type { CameraSink } from './sink.ts';

/** Test-only helpers for the camera suites. */

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ffmpeg processes whose parent is this process, read from /proc (zombies included: state Z). */
export function ffmpegChildren(): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
      if (m && m[1] === 'ffmpeg' && Number(m[3]) === process.pid) out.push({ pid: Number(d), state: m[2] as string });
    } catch {
      // The process went away while reading.
    }
  }
  return out;
}

export interface RecordingSink extends CameraSink {
  frames: { id: string; header: FrameHeader; bytes: number; jpeg: Buffer }[];
  states: { id: string; msg: CameraStateMessage }[];
  statesOf(id: string): string[];
}

export function recordingSink(keepJpeg = false): RecordingSink {
  const frames: RecordingSink['frames'] = [];
  const states: RecordingSink['states'] = [];
  return {
    frames,
    states,
    statesOf: (id) => states.filter((s) => s.id === id).map((s) => s.msg.state),
    publishFrame(id, header, jpeg) {
      frames.push({ id, header, bytes: jpeg.length, jpeg: keepJpeg ? Buffer.from(jpeg) : Buffer.alloc(0) });
    },
    publishCameraState(id, msg) {
      states.push({ id, msg });
    },
  };
}
