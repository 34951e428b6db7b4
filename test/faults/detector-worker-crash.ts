import { syncBuiltinESMExports } from 'node:module';
import workerThreads, { BroadcastChannel, type Worker, type WorkerOptions } from 'node:worker_threads';
import { encodeFrame, topics } from '@khoa/protocol';
import { startTestHub, metricValue } from '@khoa/hub/testing';
import { createPipeline, cameraKey } from '../../hub/src/pipeline/index.ts';
import { routePipelineAlerts } from '../../hub/src/frames/person-alerts.ts';
import { setArmed } from '../../hub/src/storage/households.ts';
import { fileFrames, makeClip, media, toJpeg } from '../../hub/src/pipeline/testing/media.ts';
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { Cleanups, sleep, until } from './hub-fault-support.ts';


export interface WorkerCrashOptions {
  /** Frames per second each camera sends. */
  fps?: number;
  /** Seconds of the clip each camera plays (a person walks in, then stands). */
  seconds?: number;
  /** When the worker is killed, in seconds after the first frame. */
  killAfterS?: number;
  /** Its first replacement dies too, while starting (before it loads the model). */
  replacementDiesAtStart?: boolean;
  progress?: (line: string) => void;
}

const crashingEntry = new URL('./crashing-worker-entry.ts', import.meta.url).href;
const FAULT_CHANNEL = `khoa-fault-worker-exit-${process.pid}`;

/**
 * Records the worker threads the pipeline starts and runs each through crashing-worker-entry.ts
 * (the real worker plus an exit trap). The pool keeps its workers to itself, so the test takes
 * them as they are made: node:worker_threads' Worker is swapped for a subclass, and put back as
 * soon as the pipeline has started its workers (a restarted worker is a plain one).
 */
function watchWorkers(dieAtStart: (n: number) => boolean = () => false): { workers: Worker[]; restore(): void } {
  const original = workerThreads.Worker;
  const workers: Worker[] = [];
  workerThreads.Worker = class extends original {
    constructor(filename: string | URL, options?: WorkerOptions) {
      const data = options?.workerData as { entry?: string } | undefined;
      const fault = { entry: crashingEntry, faultEntry: data?.entry, faultChannel: FAULT_CHANNEL, faultExitAtStart: dieAtStart(workers.length) };
      super(filename, data?.entry ? { ...options, workerData: { ...data, ...fault } } : options);
      workers.push(this);
    }
  };
  syncBuiltinESMExports();
  return {
    workers,
    restore() {
      workerThreads.Worker = original;
      syncBuiltinESMExports();
    },
  };
}

/**
 * Issue 9, "detector worker crash": a real hub with the frame pipeline on two worker threads
 * takes camera frames over MQTT from a device (two cameras, a person walking in, household
 * armed); the worker that holds the first camera exits (process.exit in the thread) mid-stream. The pool must
 * restart it and that camera's frames must be analysed again, the other camera's throughout;
 * the crash is counted; no frame is analysed twice and the person alert of each camera is
 * raised once (a new track after the restart finds its alert open).
 */
export async function runDetectorWorkerCrash(o: WorkerCrashOptions = {}): Promise<FaultOutcome> {
  const fps = o.fps ?? 5;
  const seconds = o.seconds ?? 12;
  const killAfterS = o.killAfterS ?? 3;
  const say = o.progress ?? (() => {});
  const c = new Cleanups();
  try {
    // A person (cut from basketball1.jpg) walks across a people-free photo, then stands: the
    // scene of the pipeline's own test, made by ffmpeg.
    const clip = await makeClip([
      '-loop', '1', '-i', media('building.jpg'), '-loop', '1', '-i', media('basketball1.jpg'),
      '-filter_complex', `[0]scale=640:360,setsar=1[bg];[1]crop=150:410:28:72,scale=70:190[sp];[bg][sp]overlay=x='min(20+t*67,420)':y=150,fps=${fps}`,
      '-t', String(seconds), '-c:v', 'mjpeg', '-q:v', '3',
    ], 'walker.mkv');
    const jpegs = await Promise.all((await fileFrames(clip)).map((f) => toJpeg(f.image)));

    const t = await startTestHub();
    c.push(() => t.close());
    const hub = t.hub;
    const device = { householdId: 'hh-crash', deviceId: 'agent-crash' };
    const password = await t.provision(device.householdId, device.deviceId);
    await setArmed(hub.db.kysely, device.householdId, true);

    // The hub's own wiring of the pipeline (hub.ts), done here so the test sees each frame's result.
    // Workers 0 and 1 start with the pipeline; worker 2 is the first replacement.
    const watch = watchWorkers((n) => !!o.replacementDiesAtStart && n === 2);
    c.push(() => watch.restore());
    const pipeline = createPipeline({ workers: 2, registry: hub.metrics.registry, maxFrameAgeMs: hub.settings.pipeline.maxFrameAgeMs });
    c.push(() => pipeline.close());
    if (!o.replacementDiesAtStart) watch.restore();
    const unroute = routePipelineAlerts(pipeline, { db: hub.db.kysely, raise: hub.raise, log: hub.log, dataDir: hub.settings.dataDir });
    c.push(unroute);
    const workerErrors: string[] = [];
    pipeline.on('worker_error', (e) => workerErrors.push(e.message));
    await pipeline.ready();
    hub.setFrameSink(pipeline);
    say('detector-worker-crash: pipeline ready');

    const cams = ['cam-a', 'cam-b'];
    const analysed = new Map<string, Array<{ seq: number; at: number }>>(cams.map((id) => [cameraKey({ ...device, cameraId: id }), []]));
    pipeline.on('frame', (f) => analysed.get(f.cameraId)?.push({ seq: f.seq ?? -1, at: Date.now() }));
    const keyA = cameraKey({ ...device, cameraId: 'cam-a' });
    const client = await t.connect(device.deviceId, password);
    let sent = 0;
    const send = (cameraId: string, i: number, ts: number) => {
      const jpeg = jpegs[i % jpegs.length]!;
      client.publish(topics.camFrame(device, cameraId), encodeFrame({ seq: i, ts, width: 640, height: 360, keyframe: i === 0, motion: true }, jpeg), { qos: 1 });
      sent++;
    };
    // cam-a first, alone, so it is pinned to the first worker (least loaded, lowest index).
    send('cam-a', 0, Date.now());
    if ((await until(() => analysed.get(keyA)!.length > 0, 20_000)) === null) throw new Error('cam-a: first frame never analysed');

    const frames = seconds * fps;
    const start = Date.now();
    let killAt = 0;
    let exitAt = 0;
    watch.workers[0]!.once('exit', () => (exitAt = Date.now()));
    for (let i = 1; i < frames; i++) {
      const due = start + (i * 1000) / fps;
      await sleep(Math.max(0, due - Date.now()));
      for (const cam of cams) send(cam, i, due);
      if (!killAt && Date.now() - start >= killAfterS * 1000) {
        killAt = Date.now();
        say(`detector-worker-crash: worker 0 (thread ${watch.workers[0]?.threadId}) exits after its next result`);
        const channel = new BroadcastChannel(FAULT_CHANNEL);
        channel.postMessage(watch.workers[0]!.threadId);
        channel.close();
      }
    }
    // Wait for the last frames to come out (or be dropped by design, counted).
    const accounted = async () => {
      const r = (result: string) => metricValue(hub, 'khoa_pipeline_frames_total', { result });
      return (await r('analysed')) + (await r('superseded')) + (await r('stale')) + (await r('failed')) + (await r('invalid'));
    };
    await until(async () => (await accounted()) >= sent, 20_000, 100);

    say(`detector-worker-crash: stream over, ${sent} frames sent`);
    if (!exitAt) throw new Error('worker 0 never exited');
    const firstAfter = analysed.get(keyA)!.find((f) => f.at > exitAt);
    const results = (result: string) => metricValue(hub, 'khoa_pipeline_frames_total', { result });
    const done = await results('analysed');
    const superseded = await results('superseded');
    const stale = await results('stale');
    const failed = await results('failed');
    const restarts = await metricValue(hub, 'khoa_pipeline_worker_restarts_total');
    const pipelineAlerts = await metricValue(hub, 'khoa_pipeline_person_alerts_total');
    let doubled = 0;
    for (const list of analysed.values()) doubled += list.length - new Set(list.map((f) => f.seq)).size;
    const bAfterKill = analysed.get(cameraKey({ ...device, cameraId: 'cam-b' }))!.filter((f) => f.at > exitAt && (!firstAfter || f.at < firstAfter.at)).length;
    const person = await hub.db.kysely.selectFrom('alerts').select(['subject']).where('kind', '=', 'person').where('household_id', '=', device.householdId).execute();
    const personDoubled = person.length - new Set(person.map((p) => p.subject)).size;
    const unaccounted = sent - (done + superseded + stale + failed);
    return {
      fault: `frame pipeline worker thread exits mid-stream${o.replacementDiesAtStart ? ', and its replacement while starting' : ''} (2 workers, 2 cameras at ${fps} fps)`,
      unit: 'frames',
      sent,
      stored: done,
      // Frames superseded by a newer one of the same camera, or too old, are dropped by design
      // (newest frame wins); lost counts the rest: the frame in flight at the crash and any never accounted for.
      lost: sent - done - superseded - stale,
      doubled: doubled + personDoubled,
      alertsExpected: cams.length,
      alertsRaised: new Set(person.map((p) => p.subject)).size,
      recoverySeconds: firstAfter ? (firstAfter.at - exitAt) / 1000 : null,
      notes: `${restarts} worker restart(s) counted (khoa_pipeline_worker_restarts_total), ${failed} frame(s) in flight at the crash counted failed, ${superseded} superseded and ${stale} stale by design, ${unaccounted} unaccounted; cam-b analysed ${bAfterKill} frames while cam-a's worker restarted; ${pipelineAlerts} person track alert(s) from the pipeline, ${person.length} person alert(s) stored; worker errors: ${workerErrors.length}`,
    };
  } finally {
    await c.run();
  }
}

export const detectorWorkerCrash: FaultScenario = {
  id: 'detector-worker-crash',
  title: 'detector worker thread crash',
  run: (opts) => runDetectorWorkerCrash({ progress: opts?.progress }),
};
