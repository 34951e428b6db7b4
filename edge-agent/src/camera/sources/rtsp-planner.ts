import type { RegisteredCamera } from '@khoa/protocol';
import type { CaptureExit } from '../capture/ffmpeg-capture.ts';
import type { Attempt, AttemptEnd, AttemptPlanner } from './attempt.ts';
import { ffmpegAttempt, type FfmpegOutput } from './ffmpeg-attempt.ts';
import { snapshotAttempt, type SnapshotPolling } from './snapshot-attempt.ts';

export interface RtspPlan {
  /** rtsp:// URL without credentials; `user`/`pass` are added only on the ffmpeg command line. */
  url?: string;
  user?: string;
  pass?: string;
  /** Socket I/O timeout handed to ffmpeg (`-timeout`, microseconds in ffmpeg 5.1; `-stimeout` is gone). */
  ioTimeoutMs: number;
  output: FfmpegOutput;
  /** Snapshot polling used when RTSP keeps failing. */
  snapshot?: Omit<SnapshotPolling, 'durationMs'> & { durationMs: number };
  /** RTSP attempts without a frame before polling snapshots instead. */
  snapshotAfterFailures: number;
}

// What ffmpeg prints when the server will not do the transport it asked for (RTSP 461, or a
// reply for another transport); a real camera can refuse TCP interleaving, a test server UDP.
const TRANSPORT_REFUSED = /461|Unsupported transport|Nonmatching transport|method SETUP failed/i;

export function withCredentials(url: string, user?: string, pass?: string): string {
  if (!user) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(pass ?? '');
  return u.toString();
}

/**
 * RTSP over TCP first (no packet loss on Wi-Fi, passes NAT), UDP if the camera refuses TCP,
 * and the snapshot URI when the stream cannot be read at all.
 */
export class RtspPlanner implements AttemptPlanner {
  private transport: 'tcp' | 'udp' = 'tcp';
  private failures = 0;

  constructor(
    private plan: RtspPlan,
    private readonly info: () => RegisteredCamera,
  ) {}

  update(plan: RtspPlan): void {
    this.plan = plan;
  }

  get currentTransport(): 'tcp' | 'udp' {
    return this.transport;
  }

  async next(): Promise<Attempt> {
    const p = this.plan;
    const useSnapshot = p.snapshot && (!p.url || this.failures >= p.snapshotAfterFailures);
    if (useSnapshot && p.snapshot) return snapshotAttempt(p.snapshot);
    if (!p.url) throw new Error('no stream URL and no snapshot URI');
    const input = withCredentials(p.url, p.user, p.pass);
    const opts = ['-rtsp_transport', this.transport, '-timeout', String(p.ioTimeoutMs * 1000)];
    return ffmpegAttempt('rtsp', input, opts, p.output, `RTSP over ${this.transport.toUpperCase()}`, (exit) => this.learn(exit));
  }

  private learn(exit: CaptureExit): void {
    if (exit.frames === 0 && exit.reason === 'failed' && TRANSPORT_REFUSED.test(exit.stderrTail)) {
      this.transport = this.transport === 'tcp' ? 'udp' : 'tcp';
    }
  }

  ended(attempt: Attempt, end: AttemptEnd): void {
    if (attempt.via === 'rtsp') {
      this.failures = end.frames > 0 ? 0 : this.failures + 1;
    } else if (end.planned || end.frames > 0) {
      // Snapshots work: back to RTSP for one try, and a single failure returns to snapshots.
      this.failures = Math.max(0, this.plan.snapshotAfterFailures - 1);
    } else {
      // Snapshots fail too: RTSP gets its full number of tries again before the next poll.
      this.failures = 0;
    }
  }

  describe(): RegisteredCamera {
    return this.info();
  }
}
