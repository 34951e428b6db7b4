import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const opts = (r: number) => ({ minMs: 1000, maxMs: 60_000, random: () => r });

  it('doubles from the minimum, in the upper half of each step', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, opts(0)))).toEqual([500, 1000, 2000, 4000]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, opts(0.999999)))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('is capped, however many attempts', () => {
    expect(backoffDelay(7, opts(1 - 1e-9))).toBe(60_000);
    expect(backoffDelay(10_000, opts(0))).toBe(30_000);
  });

  it('spreads agents that reconnect at the same attempt', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, { minMs: 1000, maxMs: 60_000 })));
    expect(delays.size).toBeGreaterThan(10);
  });
});
