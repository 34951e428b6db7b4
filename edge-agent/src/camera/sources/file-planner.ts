import type { RegisteredCamera } from '@khoa/protocol';
import type { Attempt, AttemptPlanner } from './attempt.ts';
import { ffmpegAttempt, type FfmpegOutput } from './ffmpeg-attempt.ts';

/** A video file played at its own speed (`-re`) and looped: the demo's camera, and the benchmark's. */
export class FilePlanner implements AttemptPlanner {
  constructor(
    private readonly path: string,
    private readonly loop: boolean,
    private readonly output: FfmpegOutput,
    private readonly info: () => RegisteredCamera,
  ) {}

  async next(): Promise<Attempt> {
    const opts = ['-re', ...(this.loop ? ['-stream_loop', '-1'] : [])];
    return ffmpegAttempt('file', this.path, opts, this.output, `file ${this.path}`);
  }

  ended(): void {}

  describe(): RegisteredCamera {
    return this.info();
  }
}
