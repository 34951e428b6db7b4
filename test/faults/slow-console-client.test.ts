import { describe, expect, it } from 'vitest';
import { STREAM_MAX_BUFFERED_BYTES } from '../../hub/src/http/console/stream.ts';
import { runSlowConsoleClient } from './slow-console-client.ts';

describe('fault: a police console that stops reading its live stream', () => {
  it('is dropped before it holds more than the cap; the other console gets every alert once', async () => {
    const out = await runSlowConsoleClient({ alerts: 4000, detailBytes: 2000 });
    console.log(JSON.stringify(out));
    expect(out.stored).toBe(4000);
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.alertsRaised).toBe(out.alertsExpected);
    expect(out.recoverySeconds).not.toBeNull();
    expect(out.notes).toMatch(/^slow stream dropped 1 time\(s\).*, 1 stream\(s\) open after/);
    // Bounded: the hub never held much more than the cap for all streams together.
    const held = Number(/most unsent bytes held ([\d.]+) MB/.exec(out.notes ?? '')?.[1]) * 1048576;
    expect(held).toBeLessThan(STREAM_MAX_BUFFERED_BYTES + 2 * 1048576);
  }, 60_000);
});
