/**
 * Entry of a pipeline worker for the detector-worker-crash scenario: the real worker
 * (workerData.faultEntry), plus a trap that ends the thread with process.exit(70) right after it
 * posts a result, once the test names this thread on the broadcast channel (workerData.faultChannel). Exiting there, and
 * not by Worker.terminate() from outside, keeps the crash out of native code: terminating a
 * worker in the middle of an ONNX Runtime or sharp call aborts the whole process.
 */
import { BroadcastChannel, parentPort, threadId, workerData } from 'node:worker_threads';

const data = workerData as { faultEntry: string; faultChannel: string; faultExitAtStart?: boolean };
// A worker that dies while starting (before it could load the model), as a replacement might.
if (data.faultExitAtStart) process.exit(71);
let armed = false;
const channel = new BroadcastChannel(data.faultChannel);
channel.unref();
channel.onmessage = (e) => {
  if ((e as { data?: unknown }).data === threadId) armed = true;
};
const port = parentPort!;
const post = port.postMessage.bind(port);
port.postMessage = (message: unknown, transfer?: readonly Transferable[]) => {
  post(message, transfer as never);
  if (armed && (message as { type?: string } | null)?.type === 'result') process.exit(70);
};
await import(data.faultEntry);
