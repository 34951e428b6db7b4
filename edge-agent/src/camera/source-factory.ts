import type { CameraConfig, RegisteredCamera } from '@khoa/protocol';
import { FRAME_MAX_BYTES } from '@khoa/protocol';
import type { FfmpegOutput } from './sources/ffmpeg-attempt.ts';
import { FilePlanner } from './sources/file-planner.ts';
import { OnvifPlanner } from './sources/onvif-planner.ts';
import { RtspPlanner } from './sources/rtsp-planner.ts';
import { SupervisedSource } from './sources/supervised-source.ts';
import type { CameraSource } from './types.ts';

/** Builds the source for one validated camera entry: the one place that knows every kind. */
export function createCameraSource(c: CameraConfig): CameraSource {
  const cap = c.capture;
  const output: FfmpegOutput = {
    fps: c.fps,
    width: c.width,
    quality: c.quality,
    startTimeoutMs: cap.startTimeoutSec * 1000,
    stallTimeoutMs: cap.stallTimeoutSec * 1000,
  };
  const snapshot = cap.snapshotFallback
    ? { fps: Math.min(cap.snapshotFps, c.fps), timeoutMs: cap.ioTimeoutSec * 1000, maxBytes: FRAME_MAX_BYTES, durationMs: 60_000 }
    : undefined;
  const supervise = {
    backoff: { initialMs: cap.backoffInitialMs, maxMs: cap.backoffMaxMs },
    lostAfterMs: cap.lostAfterSec * 1000,
    healthyAfterMs: 10_000,
    staleAfterMs: Math.max(10_000, 3000 / c.fps),
    startGraceMs: cap.startTimeoutSec * 1000,
  };
  const base = (source: RegisteredCamera['source']): RegisteredCamera => {
    const r: RegisteredCamera = { id: c.id, source, fps: c.fps };
    if (c.name) r.name = c.name;
    return r;
  };

  if (c.onvif) {
    const o = c.onvif;
    const planner = new OnvifPlanner(c.id, c.name, {
      target: { xaddr: o.xaddr, address: o.address, user: o.user, pass: o.pass },
      profileToken: o.profile,
      minWidth: o.minWidth,
      onvifTimeoutMs: cap.onvifTimeoutSec * 1000,
      rtsp: { ioTimeoutMs: cap.ioTimeoutSec * 1000, output, snapshot, snapshotAfterFailures: cap.snapshotAfterFailures },
      rereadAfterFailures: 5,
    });
    return new SupervisedSource(c.id, planner, supervise);
  }
  if (c.rtspUrl) {
    const planner = new RtspPlanner(
      {
        url: c.rtspUrl,
        user: c.user,
        pass: c.pass,
        ioTimeoutMs: cap.ioTimeoutSec * 1000,
        output,
        snapshot: snapshot && c.snapshotUrl ? { ...snapshot, url: c.snapshotUrl, user: c.user, pass: c.pass } : undefined,
        snapshotAfterFailures: cap.snapshotAfterFailures,
      },
      () => base('rtsp'),
    );
    return new SupervisedSource(c.id, planner, supervise);
  }
  const planner = new FilePlanner(c.file as string, true, output, () => base('file'));
  return new SupervisedSource(c.id, planner, supervise);
}
