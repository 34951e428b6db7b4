import { availableParallelism, cpus } from 'node:os';
import { Registry } from 'prom-client';
import { loadDetector } from '../pipeline/detect/load.ts';
import { DetectRunner } from '../pipeline/detect/runner.ts';
import { regionToTensor } from '../pipeline/detect/preprocess.ts';
import { CameraAnalyzer, startDecode } from '../pipeline/camera.ts';
import { decodeImage, decodeWithSharp } from '../pipeline/frames/decode.ts';
import { turboAvailable } from '../pipeline/frames/jpeg-turbo.ts';
import { createPipeline, type FrameEvent } from '../pipeline/index.ts';
import { fileFrames, makeClip, media, toJpeg } from '../pipeline/testing/media.ts';

/**
 * `khoa bench pipeline`: what the frame pipeline costs on this machine, as JSON.
 *
 * Scenes (made with ffmpeg from test/fixtures/media at start): "busy" is 8 s of vtest
 * (pedestrians, people in every frame), "idle" a people-free photo with sensor-like noise,
 * "walker" one person crossing a photo. Each at 640x360 and 1280x720, JPEG as agents send.
 * Figures on a shared 2-core machine are noisy: compare ratios taken within one run.
 */

const SIZES = [
  [640, 360],
  [1280, 720],
] as const;

const ms = (v: number): number => Math.round(v * 100) / 100;
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1]! : 0;
};

async function scene(kind: 'busy' | 'idle' | 'walker', w: number, h: number, seconds: number, fps: number): Promise<Buffer[]> {
  const fit = `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1`;
  const args =
    kind === 'busy'
      ? ['-i', media('vtest-58s-12s.mp4'), '-vf', `${fit},fps=${fps}`]
      : kind === 'idle'
        ? ['-loop', '1', '-i', media('building.jpg'), '-vf', `${fit},noise=alls=3:allf=t,fps=${fps}`]
        : ['-loop', '1', '-i', media('building.jpg'), '-loop', '1', '-i', media('basketball1.jpg'), '-filter_complex',
            `[0]${fit}[bg];[1]crop=150:410:28:72,scale=${Math.round(w / 9)}:${Math.round(h / 1.9)}[sp];[bg][sp]overlay=x='${w * 0.05}+t*${w / 10}':y=${h * 0.4},fps=${fps}`];
  const clip = await makeClip([...args, '-t', String(seconds), '-c:v', 'mjpeg', '-q:v', '3'], `${kind}-${w}.mkv`);
  return Promise.all((await fileFrames(clip)).map((f) => toJpeg(f.image, 85)));
}

/**
 * The two decoders on the same frames, taking turns frame by frame (so both see the same load):
 * median ms per frame, decode alone (header read included).
 */
async function decoders(frames: Buffer[]): Promise<Record<string, unknown>> {
  const turbo: number[] = [], viaSharp: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    for (const jpeg of frames) {
      let t = performance.now();
      await decodeImage(jpeg);
      turbo.push(performance.now() - t);
      t = performance.now();
      await decodeWithSharp(jpeg);
      viaSharp.push(performance.now() - t);
    }
  }
  return {
    frameDecoder: turboAvailable ? 'libjpeg-turbo' : 'sharp (no libjpeg-turbo addon for this platform)',
    frameDecoderMs: ms(median(turbo)),
    sharpMs: ms(median(viaSharp)),
  };
}

interface StageRow {
  frames: number;
  detectedFrames: number;
  decode: number;
  motion: number;
  detect: number;
  infer: number;
  track: number;
  totalPerFrame: number;
  /** Median pipeline time of frames that ran the detector ÷ median bare ORT run() of the same batches (mean of two runs each). */
  overheadRatio: number;
  /** The same over the faster of the two bare runs: the definition before 2026-11-24, biased up (see stages()). */
  overheadRatioFastestBare: number;
  /** Fastest detected frame ÷ fastest bare run (less sensitive to other processes on the machine). */
  overheadRatioBest: number;
  /** Median ms per detected frame spent outside the ORT run (decode, plane, motion, sampling, output decoding, tracking). */
  msAroundInference: number;
  bareMs: number;
  regionsPerDetectedFrame: number;
}

/**
 * Runs a camera's frames inline (one thread) and times every stage, plus bare ORT on the same
 * tensors. `overlap`: as a pipeline worker does, the next frame's decode is started before this
 * frame is analysed (libjpeg-turbo decodes it there and then, on this thread; only what sharp
 * decodes would run on libuv's threads during this frame's ORT run) and `decode` is the wait
 * left for it; without, decode and inference strictly take turns.
 */
async function stages(runner: DetectRunner, frames: Buffer[], overlap = false): Promise<StageRow> {
  const camera = new CameraAnalyzer('bench', runner);
  const rows: { decode: number; motion: number; detect: number; infer: number; track: number; regions: number; bare: number; bareFastest: number }[] = [];
  const n = runner.detector.inputSize;
  const batch = runner.detector.allocate(4);
  let next = overlap && frames[0] ? startDecode(frames[0]) : undefined;
  for (const [i, jpeg] of frames.entries()) {
    const decoding = next;
    next = overlap && frames[i + 1] ? startDecode(frames[i + 1]!) : undefined;
    const r = await camera.analyze({ ts: rows.length * 500, jpeg, ...(decoding && { decoding }) });
    let bare = 0, bareFastest = 0;
    if (r.regions.length > 0) {
      // The same regions, sampled again from a decode at the same scale, then the model alone:
      // the denominator of the overhead ratio.
      const frame = await decodeImage(jpeg);
      const k = Math.min(4, r.regions.length);
      r.regions.slice(0, k).forEach((reg, i) => regionToTensor(frame, reg, n, runner.detector.normalisation, batch, i * 3 * n * n));
      // Two runs, averaged: the pipeline's own inference is one run, so the denominator is the
      // same kind of figure. The faster of the two (kept as overheadRatioFastestBare, the
      // definition of earlier notes) sat about 2 ms under either run's median here, which put
      // 0.04-0.05 on the ratio that the pipeline did not cost.
      const runs: number[] = [];
      for (let rep = 0; rep < 2; rep++) {
        const b0 = performance.now();
        await runner.detector.runRaw(batch, k);
        runs.push(performance.now() - b0);
      }
      bare = (runs[0]! + runs[1]!) / 2;
      bareFastest = Math.min(runs[0]!, runs[1]!);
    }
    const tm = r.timings;
    rows.push({ decode: tm.decode, motion: tm.motion, detect: tm.detect, infer: tm.infer, track: tm.track, regions: r.regions.length, bare, bareFastest });
  }
  // The first frames warm up JIT and ORT, and a camera's start-up searches its whole view once.
  const body = rows.slice(4);
  const detected = body.filter((r) => r.regions > 0);
  // Medians, not sums: one frame that lost its core to another process would swing a sum.
  const pipelineTime = median(detected.map((r) => r.decode + r.motion + r.detect + r.track));
  const bareTime = median(detected.map((r) => r.bare));
  const bareFastestTime = median(detected.map((r) => r.bareFastest));
  const aroundInference = median(detected.map((r) => r.decode + r.motion + (r.detect - r.infer) + r.track));
  // Fastest frame against fastest bare run: what the ratio tends to on a machine nobody else uses.
  const bestRatio = detected.length ? Math.min(...detected.map((r) => r.decode + r.motion + r.detect + r.track)) / Math.min(...detected.map((r) => r.bareFastest)) : 0;
  return {
    frames: body.length,
    detectedFrames: detected.length,
    decode: ms(mean(body.map((r) => r.decode))),
    motion: ms(mean(body.map((r) => r.motion))),
    detect: ms(mean(body.map((r) => r.detect))),
    infer: ms(mean(body.map((r) => r.infer))),
    track: ms(mean(body.map((r) => r.track))),
    totalPerFrame: ms(mean(body.map((r) => r.decode + r.motion + r.detect + r.track))),
    overheadRatio: bareTime ? Math.round((pipelineTime / bareTime) * 1000) / 1000 : 0,
    overheadRatioFastestBare: bareFastestTime ? Math.round((pipelineTime / bareFastestTime) * 1000) / 1000 : 0,
    overheadRatioBest: Math.round(bestRatio * 1000) / 1000,
    msAroundInference: ms(aroundInference),
    bareMs: ms(bareTime),
    regionsPerDetectedFrame: ms(mean(detected.map((r) => r.regions))),
  };
}

/**
 * One camera's frames through a one-worker pool as fast as it takes them (all queued at once),
 * holding one frame per worker or two (the next one waiting in the worker, no round trip).
 * Wall ms per frame.
 */
async function streamed(frames: Buffer[], framesPerWorker: number): Promise<{ msPerFrame: number; detectedShare: number }> {
  const p = createPipeline({ workers: 1, framesPerWorker, registry: new Registry(), queueDepth: frames.length, maxFrameAgeMs: 600_000 });
  await p.ready();
  let analysed = 0, detected = 0;
  p.on('frame', (f: FrameEvent) => {
    analysed++;
    if (f.timings.infer > 0) detected++;
  });
  const until = async (n: number): Promise<void> => {
    while (analysed < n) await new Promise((r) => setTimeout(r, 2));
  };
  // A fresh worker's first ORT runs are slow (kernels, allocations): the clip once through
  // another camera first, untimed, as a hub that has been running a while would be.
  for (let i = 0; i < frames.length; i++) p.submit('warm', frames[i]!, { seq: i, ts: i * 500 });
  await until(frames.length);
  analysed = 0;
  // The camera's first frame searches its whole view (three regions at 16:9): not timed.
  p.submit('s', frames[0]!, { seq: 0, ts: 0 });
  await until(1);
  analysed = detected = 0;
  const t0 = performance.now();
  for (let i = 1; i < frames.length; i++) p.submit('s', frames[i]!, { seq: i, ts: i * 500 });
  await until(frames.length - 1);
  const ms = (performance.now() - t0) / (frames.length - 1);
  await p.close();
  return { msPerFrame: ms, detectedShare: detected / (frames.length - 1) };
}

/** N cameras each sending 2 frames/s for `seconds` into a worker pool: what comes out. */
async function throughput(cameras: number, frames: Buffer[][], seconds: number, workers: number) {
  const p = createPipeline({ workers, registry: new Registry(), maxFrameAgeMs: 2000 });
  await p.ready();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let analysed = 0;
  p.on('frame', (f: FrameEvent) => {
    analysed++;
    const t = sentAt.get(`${f.cameraId}:${f.seq}`);
    if (t !== undefined) latencies.push(performance.now() - t);
  });
  // Warm-up outside the timed window: each camera's first frame searches its whole view
  // (three inferences at 16:9), a start-up cost a long-running hub pays once per camera.
  for (let c = 0; c < cameras; c++) p.submit(`cam${c}`, frames[c % frames.length]![0]!, { seq: 1_000_000 });
  while (analysed < cameras && p.stats().queued + p.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 50));
  analysed = 0;
  latencies.length = 0;
  const fps = 2;
  const timers: NodeJS.Timeout[] = [];
  let sent = 0;
  const start = performance.now();
  for (let c = 0; c < cameras; c++) {
    const clip = frames[c % frames.length]!;
    let seq = c * 7; // cameras start at different places in the clip
    const tick = (): void => {
      const id = `cam${c}`;
      sentAt.set(`${id}:${seq}`, performance.now());
      p.submit(id, clip[seq % clip.length]!, { seq });
      seq++;
      sent++;
    };
    // Stagger cameras over the 500 ms period, as independent cameras are.
    timers.push(setTimeout(() => { tick(); timers.push(setInterval(tick, 1000 / fps)); }, (c * 1000) / fps / cameras));
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  timers.forEach((t) => clearInterval(t));
  const elapsed = (performance.now() - start) / 1000;
  // Let the last frames in flight finish (queued ones are dropped by close()).
  for (let i = 0; i < 50 && p.stats().inFlight > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const text = await p.metrics.frames.get();
  const count = (result: string): number => text.values.find((v) => v.labels.result === result)?.value ?? 0;
  const memory = p.stats().cameraStateBytes / Math.max(1, p.stats().cameras);
  await p.close();
  return {
    cameras,
    offeredFps: Math.round((sent / elapsed) * 10) / 10,
    analysedFps: Math.round((analysed / elapsed) * 10) / 10,
    superseded: count('superseded'),
    stale: count('stale'),
    latencyMsP50: Math.round(median(latencies)),
    latencyMsP95: Math.round([...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.95)] ?? 0),
    stateBytesPerCamera: Math.round(memory),
  };
}

export interface PipelineBenchOptions {
  /** Seconds each throughput run feeds frames (default 8). */
  seconds?: number;
  log?: (line: string) => void;
}

export async function benchPipeline(opts: PipelineBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? (() => undefined);
  const seconds = opts.seconds ?? 8;
  const runner = new DetectRunner(await loadDetector());

  log('bench pipeline: bare inference');
  const one = runner.detector.allocate(1);
  for (let i = 0; i < 3; i++) await runner.detector.runRaw(one, 1);
  const bare: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await runner.detector.runRaw(one, 1);
    bare.push(performance.now() - t);
  }

  const perSize: Record<string, unknown> = {};
  const typical: Record<string, unknown> = {};
  const overlap: Record<string, unknown> = {};
  for (const [w, h] of SIZES) {
    log(`bench pipeline: stages at ${w}x${h}`);
    const busyFrames = await scene('busy', w, h, 8, 2);
    const busy = await stages(runner, busyFrames);
    const decode = await decoders(busyFrames);
    const busyOverlapped = await stages(runner, busyFrames, true);
    // Decode overlapped with the previous frame's inference, against strictly in turn:
    // alternated, so both see the same load from other processes; the better of two each.
    log(`bench pipeline: decode overlap at ${w}x${h}`);
    const inTurn: number[] = [], overlapped: number[] = [];
    let share = 0;
    for (let rep = 0; rep < 2; rep++) {
      inTurn.push((await streamed(busyFrames, 1)).msPerFrame);
      const o = await streamed(busyFrames, 2);
      overlapped.push(o.msPerFrame);
      share = o.detectedShare;
    }
    const ratio = (v: number): number => (busy.bareMs ? Math.round((v / busy.bareMs) * 1000) / 1000 : 0);
    overlap[`${w}x${h}`] = {
      scene: 'busy (every frame searched)',
      detectedShare: ms(share),
      bareMs: busy.bareMs,
      msPerFrameInTurn: ms(Math.min(...inTurn)),
      msPerFrameOverlapped: ms(Math.min(...overlapped)),
      ratioInTurn: ratio(Math.min(...inTurn)),
      ratioOverlapped: ratio(Math.min(...overlapped)),
      note: 'wall ms per frame through a one-worker pool fed back to back (messages, events and alert snapshots included), over the median bare ORT run() of the same scene; with two frames held the next is in the worker already (libjpeg-turbo decodes camera JPEGs on the worker\'s thread, so no decode runs beside ORT)',
    };
    const idle = await stages(runner, await scene('idle', w, h, 8, 2));
    const walkerFrames = await scene('walker', w, h, 8, 2);
    const walker = await stages(runner, walkerFrames);
    const walkerOverlapped = await stages(runner, walkerFrames, true);
    perSize[`${w}x${h}`] = {
      busy, walker, idle, decoders: decode,
      decodeOverlapped: {
        note: 'as a worker runs: the next frame\'s decode started before this one is analysed; decode = the wait left (libjpeg-turbo decodes at once on this thread, so it is counted where it was started)',
        busy: busyOverlapped,
        walker: walkerOverlapped,
      },
    };
    // "Typical motion" for a household camera: something moves in a quarter of the frames
    // (costing what the one-walker scene costs), the rest is an idle view.
    const perFrame = 0.25 * walker.totalPerFrame + 0.75 * idle.totalPerFrame;
    typical[`${w}x${h}`] = {
      assumption: '25% of frames cost like the one-walker scene, 75% like the idle scene',
      msPerFrame: ms(perFrame),
      camerasPerCoreAt2fps: Math.floor(1000 / (2 * perFrame)),
    };
  }

  log('bench pipeline: throughput');
  // Cameras take turns at: one person walking, an idle view, a busy square, an idle view
  // (half the cameras have people in every frame: busier than a typical household).
  const idleClip = await scene('idle', 640, 360, 6, 2);
  const clips = [await scene('walker', 640, 360, 6, 2), idleClip, await scene('busy', 640, 360, 6, 2), idleClip];
  const workers = Math.max(1, Math.min(2, availableParallelism()));
  const pool: unknown[] = [];
  for (const n of [1, 4, 16]) {
    log(`bench pipeline: ${n} cameras at 2 fps`);
    pool.push(await throughput(n, clips, seconds, workers));
  }

  // Memory: per-camera state held in a worker, measured over many cameras.
  const before = process.memoryUsage();
  const jpeg = (await scene('idle', 1280, 720, 1, 1))[0]!;
  const held: CameraAnalyzer[] = [];
  for (let i = 0; i < 50; i++) {
    const c = new CameraAnalyzer(`m${i}`, runner);
    await c.analyze({ jpeg, ts: 0 });
    await c.analyze({ jpeg, ts: 500 });
    held.push(c);
  }
  const after = process.memoryUsage();
  await runner.detector.dispose();

  return {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    bareInferenceMs: { median: ms(median(bare)), min: ms(Math.min(...bare)), batch: 1, input: '1x3x416x416', threads: 1 },
    frigateCpuInferenceMsPublished: '35-65 (Frigate docs, CPU detector on desktop CPUs)',
    stagesMsPerFrame: perSize,
    typicalMotion: typical,
    decodeOverlap: overlap,
    throughput: { workers, fpsPerCamera: 2, seconds, frameSize: '640x360', scenes: 'cameras cycle walker, idle, busy, idle', runs: pool },
    memoryPerCamera: {
      stateBytes1280x720: held[0]!.memoryBytes(),
      measuredBytes: Math.round((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / held.length),
      note: 'motion planes and tracks; the frame being analysed and the shared input tensor are per worker, not per camera',
    },
  };
}
