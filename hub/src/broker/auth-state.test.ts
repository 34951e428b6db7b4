import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache.ts';
import { FailureLimiter } from './failure-limiter.ts';

const pw = (s: string) => Buffer.from(s);

describe('CredentialCache', () => {
  it('remembers a verified password until its TTL, for that stored hash only', () => {
    let now = 0;
    const cache = new CredentialCache(1000, 10, () => now);
    cache.add('dev-1', '$argon2id$A', pw('secret'));
    expect(cache.has('dev-1', '$argon2id$A', pw('secret'))).toBe(true);
    expect(cache.has('dev-1', '$argon2id$A', pw('Secret'))).toBe(false);
    expect(cache.has('dev-2', '$argon2id$A', pw('secret'))).toBe(false);
    // A new credential (re-provisioned device) has a new hash: the old entry no longer matches.
    expect(cache.has('dev-1', '$argon2id$B', pw('secret'))).toBe(false);
    now = 1000;
    expect(cache.has('dev-1', '$argon2id$A', pw('secret'))).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('is bounded, evicting the oldest entry, and can be turned off', () => {
    const cache = new CredentialCache(60_000, 2);
    cache.add('a', 'h', pw('1'));
    cache.add('b', 'h', pw('2'));
    cache.add('c', 'h', pw('3'));
    expect(cache.size).toBe(2);
    expect(cache.has('a', 'h', pw('1'))).toBe(false);
    expect(cache.has('c', 'h', pw('3'))).toBe(true);
    const off = new CredentialCache(0, 10);
    off.add('a', 'h', pw('1'));
    expect(off.has('a', 'h', pw('1'))).toBe(false);
  });
});

describe('FailureLimiter', () => {
  it('locks a key out after maxFailures within the window, for lockoutMs', () => {
    let now = 0;
    const l = new FailureLimiter({ maxFailures: 3, windowMs: 1000, lockoutMs: 5000 }, () => now);
    expect(l.fail('k')).toBe(false);
    now = 500;
    expect(l.fail('k')).toBe(false);
    expect(l.isLocked('k')).toBe(false);
    now = 900;
    expect(l.fail('k')).toBe(true);
    expect(l.isLocked('k')).toBe(true);
    now = 5899;
    expect(l.isLocked('k')).toBe(true);
    now = 5900;
    expect(l.isLocked('k')).toBe(false);
  });

  it('forgets failures older than the window, and a success clears the key', () => {
    let now = 0;
    const l = new FailureLimiter({ maxFailures: 2, windowMs: 1000, lockoutMs: 5000 }, () => now);
    l.fail('k');
    now = 1500;
    expect(l.fail('k')).toBe(false); // the first one is out of the window
    l.succeed('k');
    expect(l.fail('k')).toBe(false);
  });

  it('stays bounded under failures from very many keys', () => {
    const l = new FailureLimiter({ maxFailures: 5, windowMs: 60_000, lockoutMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) l.fail(`ip:${i}`);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});
