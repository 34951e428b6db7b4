/**
 * Reconnect delays: exponential from `minMs`, capped at `maxMs`, with "equal jitter" (a random
 * point in the upper half of the step) so a commune's agents do not all reconnect in the same
 * instant after the hub restarts, while none retries sooner than half the step.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Injectable for tests; returns a number in [0, 1). */
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const step = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(attempt, 30));
  const r = (opts.random ?? Math.random)();
  return Math.round(step / 2 + (step / 2) * r);
}
