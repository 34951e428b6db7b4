import { describe, expect, it } from 'vitest';
import { KhoaError } from '@khoa/protocol';
import { sleep } from '../capture/backoff.ts';
import type { Attempt, AttemptEnd, AttemptPlanner } from './attempt.ts';
import { SupervisedSource } from './supervised-source.ts';

/** A simulated camera behind the planner interface: each attempt follows a script. */
type Step = { frames: number; error?: string; holdMs?: number };

function scripted(steps: Step[], fallback: Step): AttemptPlanner & { attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    async next(): Promise<Attempt> {
      const step = steps.shift() ?? fallback;
      attempts.push(Date.now());
      return {
        via: 'rtsp',
        async run(onFrame, signal): Promise<AttemptEnd> {
          for (let i = 0; i < step.frames && !signal.aborted; i++) {
            onFrame({ jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), width: 1, height: 1, ts: Date.now() });
            await sleep(step.holdMs ?? 10, signal);
          }
          return step.error ? { frames: step.frames, error: new KhoaError('KHOA_ERR_CAMERA_UNREACHABLE', step.error) } : { frames: step.frames };
        },
      };
    },
    ended() {},
    describe: () => ({ id: 'sim', source: 'simulated' }),
  };
}

const opts = { backoff: { initialMs: 20, maxMs: 160, jitter: 0 }, lostAfterMs: 300, healthyAfterMs: 10_000, staleAfterMs: 1000, startGraceMs: 0 };

describe('SupervisedSource', () => {
  it('goes streaming → reconnecting → lost → streaming, with one error event per distinct failure', async () => {
    const planner = scripted([{ frames: 3 }, { frames: 0, error: 'refused' }, { frames: 0, error: 'refused' }, { frames: 0, error: 'refused' }, { frames: 0, error: 'refused' }], { frames: 1000 });
    const src = new SupervisedSource('sim', planner, opts);
    const states: string[] = [];
    const errors: string[] = [];
    src.on('state', (s) => states.push(s.state));
    src.on('error', (e) => errors.push(e.message));
    src.start();
    await sleep(900, new AbortController().signal);
    await src.stop();
    expect(states).toEqual(['streaming', 'reconnecting', 'lost', 'streaming']);
    expect(errors).toHaveLength(1);
  });

  it('backs off exponentially up to the cap, so restarts stay bounded', async () => {
    const planner = scripted([], { frames: 0, error: 'refused' });
    const src = new SupervisedSource('sim', planner, opts);
    src.start();
    await sleep(1000, new AbortController().signal);
    await src.stop();
    const gaps = planner.attempts.slice(1).map((t, i) => t - (planner.attempts[i] as number));
    // 20, 40, 80, 160, 160, …: about 8 attempts in a second, not hundreds.
    expect(planner.attempts.length).toBeGreaterThanOrEqual(5);
    expect(planner.attempts.length).toBeLessThanOrEqual(10);
    expect(gaps[0]).toBeLessThan(gaps[3] as number);
    for (const g of gaps) expect(g).toBeLessThan(160 + 60);
  });

  it('stops at once, even in the middle of a long backoff', async () => {
    const planner = scripted([], { frames: 0, error: 'refused' });
    const src = new SupervisedSource('sim', planner, { ...opts, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    src.start();
    await sleep(50, new AbortController().signal);
    const t0 = Date.now();
    await src.stop();
    expect(Date.now() - t0).toBeLessThan(100);
  });
});
