import { describe, expect, it } from 'vitest';
import { runDetectorWorkerCrash } from './detector-worker-crash.ts';

describe('fault: a frame pipeline worker dies while frames flow', () => {
  it('is restarted and counted; its camera is analysed again, the other throughout; no frame or alert doubled', async () => {
    const out = await runDetectorWorkerCrash({ fps: 5, seconds: 10, killAfterS: 3, progress: (l) => console.log(l) });
    console.log(JSON.stringify(out));
    expect(out.unit).toBe('frames');
    expect(out.stored).toBeGreaterThan(out.sent / 3);
    expect(out.recoverySeconds).not.toBeNull();
    // At most the one frame the dead worker held is lost, and it is counted.
    expect(out.lost).toBeLessThanOrEqual(1);
    expect(out.notes).toMatch(/^1 worker restart\(s\) counted .*, 0 unaccounted; cam-b analysed [1-9]\d* frames/);
    expect(out.doubled).toBe(0);
    expect(out.alertsRaised).toBe(out.alertsExpected);
  }, 60_000);
});

describe('fault: a pipeline worker dies, and its replacement dies while starting', () => {
  // worker-pool.ts used to replace only a worker that had been ready (this camera was never
  // analysed again) and its stop() waited for ever on a worker that had already exited.
  it('restarts the replacement too; the camera is analysed again', async () => {
    const out = await runDetectorWorkerCrash({ fps: 5, seconds: 10, killAfterS: 3, replacementDiesAtStart: true });
    console.log(JSON.stringify(out));
    expect(out.recoverySeconds).not.toBeNull();
    expect(out.notes).toMatch(/^2 worker restart\(s\) counted .*, 0 unaccounted;/);
    expect(out.doubled).toBe(0);
  }, 60_000);
});
