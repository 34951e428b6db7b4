import { createHmac, randomBytes } from 'node:crypto';

/**
 * Remembers recently verified (device, password) pairs so a reconnect storm or a benchmark
 * does not spend an argon2id verification (~50 ms of CPU) on every CONNECT.
 *
 * Security: the key is an HMAC under a random per-process secret of the device id, the stored
 * credential hash and the password, so the cache holds no password and nothing crackable
 * offline, a changed or revoked credential misses (its hash differs, and revocation is checked
 * before the cache), and entries expire after `ttlMs`. Only successes are cached.
 */
export class CredentialCache {
  readonly #secret = randomBytes(32);
  readonly #entries = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  #key(deviceId: string, credentialHash: string, password: Buffer): string {
    return createHmac('sha256', this.#secret).update(deviceId).update('\0').update(credentialHash).update('\0').update(password).digest('base64');
  }

  has(deviceId: string, credentialHash: string, password: Buffer): boolean {
    if (this.ttlMs <= 0) return false;
    const key = this.#key(deviceId, credentialHash, password);
    const expires = this.#entries.get(key);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }

  add(deviceId: string, credentialHash: string, password: Buffer): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    const key = this.#key(deviceId, credentialHash, password);
    this.#entries.delete(key);
    // Map keeps insertion order: the first key is the oldest, evicted when full.
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, this.now() + this.ttlMs);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
