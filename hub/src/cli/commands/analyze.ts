import { open, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import type { FrameAnalysis } from '../../pipeline/camera.ts';
import type { VideoInfo } from '../../pipeline/frames/video.ts';
import { defaultPipelineRate } from '../../pipeline/options.ts';

const usage = `usage: khoa analyze <video|image|rtsp-url> [--json] [--all-frames] [--fps N] [--score S]
                    [--max-frames N] [--duration SEC] [--timeout SEC]

Runs the frame pipeline (motion, person detection, tracking) on a file or stream and prints
one JSON line per analysed frame on stdout:
  {"frame":n,"motion":bool,"detections":[{"label":"person","score":s,"box":[x1,y1,x2,y2]}]}
Boxes are in source pixels. A still image is searched whole (motion "everywhere").

  --json        JSON lines (the only output format; accepted for clarity)
  --all-frames  analyse every frame (default: sample at the pipeline rate, ${defaultPipelineRate} fps)
  --fps N       sampling rate when not --all-frames
  --score S     least score reported (default 0.45)
  --max-frames N  stop after N analysed frames (a live stream otherwise runs until stopped)
  --duration SEC  stop SEC seconds after the first frame (wall clock for a live stream)
  --timeout SEC   give up on a live stream that sends no frame for SEC seconds (default 15)
Progress goes to stderr when it is a terminal. Exit 1 on unreadable input.`;

const IMAGE_MAGIC: [number[], string][] = [
  [[0xff, 0xd8, 0xff], 'jpeg'],
  [[0x89, 0x50, 0x4e, 0x47], 'png'],
  [[0x52, 0x49, 0x46, 0x46], 'webp'],
];

async function sniffImage(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { input: path });
  }
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (bytesRead === 0) throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `${path}: empty file`, { input: path });
    return IMAGE_MAGIC.some(([magic]) => magic.every((b, i) => head[i] === b));
  } finally {
    await fh.close();
  }
}

const r1 = (v: number): number => Math.round(v * 10) / 10;

function line(frame: number, a: FrameAnalysis): string {
  return JSON.stringify({
    frame,
    motion: a.motion,
    detections: a.detections.map((d) => ({ label: d.label, score: Math.round(d.score * 1000) / 1000, box: d.box.map(r1) })),
  });
}

class Progress {
  private lastDraw = 0;
  constructor(private readonly enabled: boolean) {}
  total?: number;
  draw(frame: number): void {
    if (!this.enabled || Date.now() - this.lastDraw < 200) return;
    this.lastDraw = Date.now();
    const width = 30;
    if (this.total) {
      const f = Math.min(1, frame / this.total);
      const bar = '#'.repeat(Math.round(f * width)).padEnd(width, ' ');
      process.stderr.write(`\r[${bar}] ${(f * 100).toFixed(0).padStart(3)}% frame ${frame}/${this.total}`);
    } else process.stderr.write(`\rframe ${frame}`);
  }
  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' }, 'all-frames': { type: 'boolean' }, fps: { type: 'string' }, score: { type: 'string' },
      'max-frames': { type: 'string' }, duration: { type: 'string' }, timeout: { type: 'string' },
    },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1) {
    console.error(usage);
    return 2;
  }
  const fps = values.fps ? Number(values.fps) : defaultPipelineRate;
  const score = values.score ? Number(values.score) : 0.45;
  if (!(fps > 0 && fps <= 120) || !(score >= 0 && score <= 1)) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--fps must be in (0, 120] and --score in [0, 1]', { fps: values.fps, score: values.score });
  }
  const maxFrames = values['max-frames'] !== undefined ? Number(values['max-frames']) : Infinity;
  const duration = values.duration !== undefined ? Number(values.duration) : Infinity;
  const timeout = values.timeout !== undefined ? Number(values.timeout) : 15;
  if (!(maxFrames >= 1 && (Number.isInteger(maxFrames) || maxFrames === Infinity)) || !(duration > 0) || !(timeout > 0 && timeout <= 600)) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--max-frames must be a whole number >= 1, --duration > 0 and --timeout in (0, 600]', {
      maxFrames: values['max-frames'], duration: values.duration, timeout: values.timeout,
    });
  }
  const live = /^[a-z]+:\/\//i.test(input);
  const still = !live && (await sniffImage(input));
  // Named as a picture but not one: ffmpeg would only say "Conversion failed" about a video.
  if (!live && !still && /\.(jpe?g|png|webp)$/i.test(input)) {
    throw new KhoaError('KHOA_ERR_IMAGE_DECODE', `${input}: not a JPEG, PNG or WebP image (its first bytes are not one)`, { input });
  }

  // Loaded here, not at the top: `khoa help` and other commands need not load ORT and sharp.
  const [{ loadDetector }, { DetectRunner }, { CameraAnalyzer }, { decodeImage }, { readVideoFrames }] = await Promise.all([
    import('../../pipeline/detect/load.ts'),
    import('../../pipeline/detect/runner.ts'),
    import('../../pipeline/camera.ts'),
    import('../../pipeline/frames/decode.ts'),
    import('../../pipeline/frames/video.ts'),
  ]);
  const runner = new DetectRunner(await loadDetector());
  const analyzer = new CameraAnalyzer('cli', runner, { reportScore: score });
  // `khoa analyze x | head` closes stdout early: stop quietly rather than crash on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  try {
    if (still) {
      const frame = await decodeImage(await readFile(input));
      out(line(0, await analyzer.analyze({ frame, ts: Date.now(), mode: 'still' })));
      return 0;
    }
    const progress = new Progress(Boolean(process.stderr.isTTY));
    const onInfo = (info: VideoInfo): void => {
      if (info.fps && info.durationSec) progress.total = Math.round(info.fps * info.durationSec);
    };
    const t0 = Date.now();
    let analysed = 0;
    let firstTime: number | undefined;
    for await (const f of readVideoFrames(input, { ...(!values['all-frames'] && { sampleFps: fps }), onInfo, frameTimeoutMs: timeout * 1000 })) {
      // From the first frame, not from the start: connecting to a camera can take seconds.
      firstTime ??= f.time;
      if (f.time - firstTime >= duration) break;
      const frame = { ...f.image, sourceWidth: f.image.width, sourceHeight: f.image.height, scale: 1 };
      out(line(f.index, await analyzer.analyze({ frame, ts: t0 + f.time * 1000 })));
      progress.draw(f.index);
      // Leaving the loop ends the generator, which stops ffmpeg.
      if (++analysed >= maxFrames) break;
    }
    progress.done();
    return 0;
  } finally {
    await runner.detector.dispose();
  }
}

export const analyze: CliCommand = { name: 'analyze', summary: 'detect motion and people in a video, image or RTSP stream (JSON lines)', usage, run };
