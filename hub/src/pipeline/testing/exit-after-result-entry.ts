/**
 * A pipeline worker entry for tests of the pool: the real worker (workerData.realEntry), whose
 * thread ends with process.exit(70) right after it posts its first result, as a crash would,
 * with the next frame already in its hands. Exiting there, not by Worker.terminate() from
 * outside, keeps the crash out of native code (terminating a thread inside an ORT or sharp call
 * aborts the whole process).
 */
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort!;
const post = port.postMessage.bind(port);
port.postMessage = (message: unknown, transfer?: readonly Transferable[]) => {
  post(message, transfer as never);
  if ((message as { type?: string } | null)?.type === 'result') process.exit(70);
};
await import((workerData as { realEntry: string }).realEntry);
