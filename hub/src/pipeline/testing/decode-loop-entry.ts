/**
 * A worker entry for the decode guard's test: decodes workerData.jpeg with libjpeg-turbo in
 * a loop, under workerData.decodeGuard, until the test terminates the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useDecodeGuard } from '../frames/decode-guard.ts';
import { turboDecode } from '../frames/jpeg-turbo.ts';

const { jpeg, width, height, decodeGuard } = workerData as { jpeg: Uint8Array; width: number; height: number; decodeGuard: Int32Array };
useDecodeGuard(decodeGuard);
parentPort!.postMessage('decoding');
// Once the guard is closed turboDecode says undefined: keep calling it (the test terminates
// this thread meanwhile), as a worker handed more frames would.
for (;;) turboDecode(jpeg, width, height);
