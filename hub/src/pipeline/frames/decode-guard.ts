/**
 * A guard between a pool worker and the pool, in shared memory: the pool closes it before it
 * terminates the worker, waiting out a decode under way, because terminating a thread inside
 * libjpeg-turbo's addon aborts the whole process (see jpeg-turbo.ts). Once closed, the worker
 * decodes no more frames with it (sharp takes them).
 */

/**
 * Word 0: no decode under way, a decode under way, or closed (the thread may be terminated).
 * Word 1: set when the pool asks to close, so a worker decoding back to back cannot keep
 * word 0 busy for ever: it enters no new decode once asked.
 */
const IDLE = 0, DECODING = 1, CLOSED = 2;
const STATE = 0, CLOSING = 1;

/** This thread's guard (a worker's, from workerData); none on the main thread, never terminated. */
let guard: Int32Array | undefined;

/** A guard for one worker thread: the pool keeps it, the worker gets it in workerData. */
export const newDecodeGuard = (): Int32Array => new Int32Array(new SharedArrayBuffer(8));

/** In a worker: decode only while `g` is open. */
export function useDecodeGuard(g: Int32Array): void {
  guard = g;
}

/** Before a decode: false when the guard is closed (do not enter the addon). */
export function enterDecode(): boolean {
  return !guard || (Atomics.load(guard, CLOSING) === 0 && Atomics.compareExchange(guard, STATE, IDLE, DECODING) === IDLE);
}

/** After a decode that `enterDecode` let in. */
export function leaveDecode(): void {
  if (guard) Atomics.store(guard, STATE, IDLE);
}

/**
 * In the pool, before terminating the worker that holds `g`: closes it, waiting out a decode
 * under way (2 ms typically; `maxWaitMs` only bounds a frozen thread). True once closed.
 */
export async function closeDecodeGuard(g: Int32Array, maxWaitMs = 1000): Promise<boolean> {
  const until = Date.now() + maxWaitMs;
  Atomics.store(g, CLOSING, 1);
  for (;;) {
    if (Atomics.compareExchange(g, STATE, IDLE, CLOSED) !== DECODING) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
}
