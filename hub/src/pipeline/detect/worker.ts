import { parentPort, workerData } from 'node:worker_threads';
import { errorCatalogue, isKhoaError } from '@khoa/protocol';
import { loadDetector } from './load.ts';
import { DetectRunner } from './runner.ts';
import { CameraAnalyzer, startDecode, type CameraConfigInput } from '../camera.ts';
import type { FromWorker, ToWorker, WireAlert, WorkerInit } from '../pool/messages.ts';
import { useDecodeGuard } from '../frames/decode-guard.ts';

/**
 * A pipeline worker: one ORT session (intra-op threads 1) and the state of the cameras the
 * main thread pinned here. It decodes, runs motion, detection and tracking, renders alert
 * snapshots, and posts results back; ORT and the typed-array loops block only this thread.
 */
const init = workerData as WorkerInit;
if (init.decodeGuard) useDecodeGuard(init.decodeGuard);
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
/** Code and detail (without the catalogue's text, which the main thread's KhoaError adds again). */
function errorOf(err: unknown): { code?: string; message: string } {
  if (!isKhoaError(err)) return { message: (err as Error)?.message ?? String(err) };
  const prefix = `${errorCatalogue[err.code]}: `;
  return { code: err.code, message: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message };
}

/** The ArrayBuffer of a Buffer, whole: transferable without copying when the Buffer owns it. */
function ownBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

try {
  const runner = new DetectRunner(await loadDetector(init.detector), init.maxBatch);
  const cameras = new Map<string, CameraAnalyzer>();
  const configs = new Map<string, CameraConfigInput>();
  const cameraOf = (id: string): CameraAnalyzer => {
    let c = cameras.get(id);
    if (!c) cameras.set(id, (c = new CameraAnalyzer(id, runner, configs.get(id), init.decode)));
    return c;
  };

  // Frames are analysed one after another, in the order they came. The pool may send the next
  // frame while one is being analysed: its decode starts when the message is handled (ORT's
  // run blocks this thread, so that is between two steps of the current frame). libjpeg-turbo
  // then decodes on this thread at once; sharp, for what it takes, on libuv's threads.
  let inFlight: Promise<void> = Promise.resolve();
  port.on('message', async (msg: ToWorker) => {
    switch (msg.type) {
      case 'configure':
        configs.set(msg.cameraId, msg.config);
        cameras.delete(msg.cameraId); // new settings: start the camera's state afresh
        return;
      case 'forget':
        cameras.delete(msg.cameraId);
        configs.delete(msg.cameraId);
        return;
      case 'stop':
        // Messages are dispatched while a frame's ORT run is awaited; disposing the session
        // under a running inference aborts the whole process (a native exception), so wait.
        await inFlight;
        await runner.detector.dispose();
        port.close();
        return;
      case 'frame': {
        const jpeg = new Uint8Array(msg.jpeg);
        const decoding = startDecode(jpeg, init.decode);
        const previous = inFlight;
        let done = () => {};
        inFlight = new Promise<void>((resolve) => (done = resolve));
        await previous;
        try {
          const camera = cameraOf(msg.cameraId);
          const a = await camera.analyze({ ts: msg.ts, jpeg, decoding, ...(msg.seq !== undefined && { seq: msg.seq }) });
          // Alerts of one frame share their picture: one buffer, transferred once.
          const pictures = new Map<Buffer, ArrayBuffer>();
          const alerts: WireAlert[] = a.alerts.map((x) => {
            let snapshot = pictures.get(x.snapshot);
            if (!snapshot) pictures.set(x.snapshot, (snapshot = ownBuffer(x.snapshot)));
            return { trackId: x.trackId, score: x.score, box: x.box, ts: x.ts, ...(x.seq !== undefined && { seq: x.seq }), snapshot };
          });
          post(
            {
              type: 'result',
              id: msg.id,
              cameraId: msg.cameraId,
              result: {
                motion: a.motion, motionBoxes: a.motionBoxes, regions: a.regions, detections: a.detections, tracks: a.tracks,
                events: a.events, blinded: a.blinded, width: a.width, height: a.height,
                timings: a.timings,
              },
              alerts,
              cameraBytes: camera.memoryBytes(),
            },
            [...pictures.values()],
          );
        } catch (err) {
          post({ type: 'frame_error', id: msg.id, cameraId: msg.cameraId, error: errorOf(err) });
        } finally {
          done();
        }
        return;
      }
    }
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'fatal', error: errorOf(err) });
}
