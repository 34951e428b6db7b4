/**
 * Exponential backoff with a cap and ±20 % jitter, so a household's cameras that all lose the
 * Wi-Fi at once do not reconnect in lock-step. Restarts are therefore bounded: at most one per
 * `maxMs` once the cap is reached.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** 0..1; 0 gives exact delays (tests). */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** The delay before the next retry; each call lengthens the following one. */
  next(): number {
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * (this.opts.factor ?? 2) ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 32);
    const j = this.opts.jitter ?? 0.2;
    return Math.round(base * (1 - j + Math.random() * 2 * j));
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (a stop must not wait out a 30 s backoff). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
