import { FailureLimiter } from './failure-limiter.ts';

export interface LoginThrottleSettings {
  /** Failures of one account from one address before that pair is made to wait. */
  freeFailures: number;
  /** The pair's first wait; each further failure doubles it, up to `maxBackoffMs`. */
  backoffBaseMs: number;
  maxBackoffMs: number;
  /** Failures from one address, whatever the account, within the window before the address waits `addressLockoutMs`. */
  maxFailuresPerAddress: number;
  addressLockoutMs: number;
  /**
   * Failures of one account from addresses it has never logged in from, within the window,
   * before the account is closed to such addresses for `accountLockoutMs` (many addresses
   * against one account). Addresses it logged in from keep working.
   */
  maxFailuresPerAccount: number;
  accountLockoutMs: number;
  /** Window of the account table (a slow spread-out attack is still counted). */
  accountWindowMs: number;
  /** Window of the pair and address tables. */
  windowMs: number;
  /** How long a successful login makes its address familiar to the account. */
  trustedAddressMs: number;
  /** Most keys tracked per table (memory bound under an attack from very many addresses). */
  maxKeys?: number;
}

export type ThrottleScope = 'pair' | 'address' | 'account';
export type ThrottleVerdict = { ok: true } | { ok: false; scope: ThrottleScope; retryAfterMs: number };

/**
 * Brute-force limits for a login (console account or MQTT device). Three tables:
 * - account+address: exponential backoff after a few failures, so one source guessing one
 *   account gets a handful of tries, then one per `maxBackoffMs`;
 * - address: a source spraying many accounts is stopped;
 * - account: many sources against one account close it to unfamiliar addresses only.
 * An attacker can therefore never lock the real user out of an address the user has logged in
 * from: the pair lock is the attacker's own, and the address and account locks spare
 * familiar account+address pairs. The price is that a user on a new address waits while a distributed
 * attack on that account lasts.
 */
export class LoginThrottle {
  readonly #pairs = new Map<string, { failures: number; lockedUntil: number; last: number }>();
  readonly #trusted = new Map<string, number>();
  readonly #byAddress: FailureLimiter;
  readonly #byAccount: FailureLimiter;
  readonly #maxKeys: number;

  constructor(
    private readonly s: LoginThrottleSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.#maxKeys = s.maxKeys ?? 100_000;
    this.#byAddress = new FailureLimiter({ maxFailures: s.maxFailuresPerAddress, windowMs: s.windowMs, lockoutMs: s.addressLockoutMs, maxKeys: this.#maxKeys }, now);
    this.#byAccount = new FailureLimiter({ maxFailures: s.maxFailuresPerAccount, windowMs: s.accountWindowMs, lockoutMs: s.accountLockoutMs, maxKeys: this.#maxKeys }, now);
  }

  /** Whether a try may be checked at all (a refused one costs no password hashing). */
  check(account: string, address: string): ThrottleVerdict {
    const now = this.now();
    const pair = this.#pairs.get(pairKey(account, address));
    if (pair && pair.lockedUntil > now) return { ok: false, scope: 'pair', retryAfterMs: pair.lockedUntil - now };
    // The address and account locks spare an account on an address it signed in from: a
    // station's shared NAT address (or a reverse proxy) sprayed by one machine still lets its
    // officers in, each still under the pair backoff.
    if (this.isTrusted(account, address)) return { ok: true };
    const addressLeft = this.#byAddress.lockedFor(address);
    if (addressLeft > 0) return { ok: false, scope: 'address', retryAfterMs: addressLeft };
    const accountLeft = this.#byAccount.lockedFor(account);
    if (accountLeft > 0) return { ok: false, scope: 'account', retryAfterMs: accountLeft };
    return { ok: true };
  }

  /** Records a failed try; returns the scope it closed, if any. */
  fail(account: string, address: string): ThrottleScope | undefined {
    const now = this.now();
    const key = pairKey(account, address);
    if (this.#pairs.size >= this.#maxKeys && !this.#pairs.has(key)) this.#sweep(now);
    // A pair quiet for a day starts afresh: a user who mistyped last month is not still waiting.
    const old = this.#pairs.get(key);
    const p = old && now - old.last < 24 * 3600_000 ? old : { failures: 0, lockedUntil: 0, last: now };
    p.failures++;
    p.last = now;
    let closed: ThrottleScope | undefined;
    if (p.failures >= this.s.freeFailures) {
      const wait = Math.min(this.s.backoffBaseMs * 2 ** Math.min(p.failures - this.s.freeFailures, 30), this.s.maxBackoffMs);
      p.lockedUntil = now + wait;
      closed = 'pair';
    }
    this.#pairs.set(key, p);
    if (this.#byAddress.fail(address)) closed = 'address';
    // Only failures from unfamiliar addresses count against the account: the user's own typos do not close it.
    if (!this.isTrusted(account, address) && this.#byAccount.fail(account)) closed ??= 'account';
    return closed;
  }

  /** A successful login clears its pair and makes the address familiar to the account. */
  succeed(account: string, address: string): void {
    const key = pairKey(account, address);
    this.#pairs.delete(key);
    if (this.#trusted.size >= this.#maxKeys && !this.#trusted.has(key)) this.#sweep(this.now());
    this.#trusted.set(key, this.now() + this.s.trustedAddressMs);
  }

  /** Entries held, for tests of the memory bound. */
  get size(): { pairs: number; trusted: number } {
    return { pairs: this.#pairs.size, trusted: this.#trusted.size };
  }

  isTrusted(account: string, address: string): boolean {
    return (this.#trusted.get(pairKey(account, address)) ?? 0) > this.now();
  }

  #sweep(now: number): void {
    for (const [k, p] of this.#pairs) if (p.lockedUntil <= now && now - p.last >= this.s.windowMs) this.#pairs.delete(k);
    for (const [k, until] of this.#trusted) if (until <= now) this.#trusted.delete(k);
    // Still full: forget the oldest half rather than grow without bound.
    for (const table of [this.#pairs, this.#trusted] as Map<string, unknown>[]) {
      if (table.size < this.#maxKeys) continue;
      let n = Math.floor(table.size / 2);
      for (const k of table.keys()) {
        if (n-- <= 0) break;
        table.delete(k);
      }
    }
  }
}

const pairKey = (account: string, address: string): string => `${address}\u0000${account}`;
