import { KhoaError } from '@khoa/protocol';
import { sleep } from '../capture/backoff.ts';
import { fetchSnapshot } from '../capture/http-snapshot.ts';
import { jpegSize } from '../capture/jpeg-size.ts';
import type { Attempt, AttemptEnd } from './attempt.ts';

export interface SnapshotPolling {
  url: string;
  user?: string;
  pass?: string;
  /** Polls per second; cameras answer snapshots slowly, so this stays low (1 by default). */
  fps: number;
  timeoutMs: number;
  maxBytes: number;
  /** Stop after this long with `planned` so the planner can try RTSP again. */
  durationMs: number;
}

/** Polls the ONVIF snapshot URI: the fallback when the RTSP stream cannot be read. */
export function snapshotAttempt(p: SnapshotPolling): Attempt {
  return {
    via: 'snapshot',
    async run(onFrame, signal): Promise<AttemptEnd> {
      const until = Date.now() + p.durationMs;
      const period = 1000 / p.fps;
      let frames = 0;
      while (!signal.aborted && Date.now() < until) {
        const t0 = Date.now();
        try {
          const jpeg = await fetchSnapshot({ url: p.url, user: p.user, pass: p.pass, timeoutMs: p.timeoutMs, maxBytes: p.maxBytes });
          const size = jpegSize(jpeg);
          if (!size) throw new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', 'snapshot JPEG has no frame header');
          if (signal.aborted) break;
          frames++;
          onFrame({ jpeg, width: size.width, height: size.height, ts: Date.now() });
        } catch (err) {
          if (signal.aborted) break;
          return { frames, error: err instanceof KhoaError ? err : new KhoaError('KHOA_ERR_CAMERA_UNREACHABLE', String(err)) };
        }
        await sleep(Math.max(0, period - (Date.now() - t0)), signal);
      }
      return { frames, planned: !signal.aborted };
    },
  };
}
