/**
 * The agent's source of wall-clock time for event timestamps, injectable so tests and the demo
 * can pin or skew it. Timers use the platform's (vitest fake timers can drive those).
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
