/**
 * Counts failed logins per key (client id, remote address) in a sliding window and locks a key
 * out for a while after too many, so a guessed password costs the attacker time and the hub no
 * argon2 work. Bounded: stale keys are swept, and at most `maxKeys` are tracked.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, { times: number[]; lockedUntil: number }>();
  constructor(
    private readonly opts: { maxFailures: number; windowMs: number; lockoutMs: number; maxKeys?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** True while `key` is locked out. */
  isLocked(key: string): boolean {
    const e = this.#failures.get(key);
    return !!e && e.lockedUntil > this.now();
  }

  /** Milliseconds left of `key`'s lockout, 0 when it is not locked. */
  lockedFor(key: string): number {
    const e = this.#failures.get(key);
    return e ? Math.max(0, e.lockedUntil - this.now()) : 0;
  }

  /** Records a failure; returns true when it locked the key out. */
  fail(key: string): boolean {
    const now = this.now();
    if (this.#failures.size >= (this.opts.maxKeys ?? 100_000)) this.#sweep(now);
    const e = this.#failures.get(key) ?? { times: [], lockedUntil: 0 };
    e.times = e.times.filter((t) => t > now - this.opts.windowMs);
    e.times.push(now);
    let locked = false;
    if (e.times.length >= this.opts.maxFailures) {
      e.lockedUntil = now + this.opts.lockoutMs;
      e.times = [];
      locked = true;
    }
    this.#failures.set(key, e);
    return locked;
  }

  /** A success clears the key's record. */
  succeed(key: string): void {
    this.#failures.delete(key);
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#failures.size;
  }

  #sweep(now: number): void {
    for (const [k, e] of this.#failures) {
      if (e.lockedUntil <= now && e.times.every((t) => t <= now - this.opts.windowMs)) this.#failures.delete(k);
    }
    // Still full (an attack from very many keys): drop the oldest half rather than grow without bound.
    if (this.#failures.size >= (this.opts.maxKeys ?? 100_000)) {
      let n = Math.floor(this.#failures.size / 2);
      for (const k of this.#failures.keys()) {
        if (n-- <= 0) break;
        this.#failures.delete(k);
      }
    }
  }
}
