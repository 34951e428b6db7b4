import { describe, expect, it } from 'vitest';
import { runLoad } from './simulator.ts';
import { fileFrames, media, toJpeg } from '../../hub/src/pipeline/testing/media.ts';

// The short form of the load suite (the full one is `npm run test:soak`): a hub process under
// 150 agents and 4 cameras. It asserts what must hold at any load: nothing lost or doubled,
// every forced door becomes exactly one alert, the hub exits cleanly.
describe('hub under load (short form)', () => {
  it('holds 150 agents and 4 cameras: every event stored once, every forced door one alert', async () => {
    const clip = await fileFrames(media('vtest-58s-12s.mp4'), 2);
    const frames = await Promise.all(clip.slice(0, 12).map((f) => toJpeg(f.image, 70)));
    const f = await runLoad({ agents: 150, cameras: 4, fps: 1, seconds: 8, eventsPerAgentPerMinute: 30, forcedShare: 0.1, frames, frameSize: { width: 768, height: 576 }, pipelineWorkers: 1 });
    console.log(JSON.stringify({ figure: 'load_short', ...f }));
    expect(f.connectionsHeld).toBe(150);
    expect(f.connectionsLost).toBe(0);
    expect(f.eventsStored).toBe(f.eventsSent);
    expect(f.forcedSent).toBeGreaterThan(0);
    expect(f.alertsRaised).toBe(f.forcedSent);
    expect(f.framesSent).toBeGreaterThan(0);
    expect(f.framesAnalysed + f.framesDropped).toBeGreaterThan(0);
    expect(f.hubExitCode).toBe(0);
  }, 180_000);
});
