import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cameraStateValidator, decodeFrame } from '@khoa/protocol';
import { startAgent } from './agent.ts';
import { FAST, PASSWORD, quietLog, testConfig } from './test-support/agent-fixture.ts';
import { observe, startTestBroker } from './test-support/broker.ts';

const CLIP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/media/vtest-58s-12s.mp4');
const PREFIX = 'khoa/v1/hh-1/agent-1';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('cameras from the config file', () => {
  it('runs them through the camera manager: registered, frames and state published, bad entries left out', async () => {
    const b = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
    cleanups.push(() => b.kill().catch(() => {}));
    const hub = await observe(b.url, [`${PREFIX}/#`]);
    cleanups.push(() => hub.close());
    const config = testConfig(b.url, { cameras: [{ id: 'yard', name: 'Sân', file: CLIP, fps: 2, width: 320 }, { id: 'Bad Camera' }] });
    const agent = await startAgent(config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => agent.stop());

    const reg = await hub.waitFor((m) => m.topic === `${PREFIX}/register`);
    const cams = (JSON.parse(reg.payload.toString()) as { cameras: { id: string; source: string }[] }).cameras;
    expect(cams.map((c) => [c.id, c.source])).toEqual([['yard', 'file']]);

    const frame = await hub.waitFor((m) => m.topic === `${PREFIX}/cam/yard/frame`, 20_000);
    const decoded = decodeFrame(frame.payload);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(decoded.value.header.width).toBe(320);
    const state = await hub.waitFor((m) => m.topic === `${PREFIX}/cam/yard/state`, 20_000);
    const st = cameraStateValidator.check(JSON.parse(state.payload.toString()));
    expect(st.ok && st.value.state).toBe('streaming');
    expect((await agent.metrics.registry.metrics())).toContain('khoa_agent_camera_frames_total');
  });
});
