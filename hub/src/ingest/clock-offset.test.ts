import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import type { DeviceIdentity } from '../broker/identity.ts';
import { CLOCK_TOLERANCE_MS, eventTimeOnHubClock, noteDeviceClock } from './clock-offset.ts';

const HOUR = 3_600_000;
const deps = () => ({ metrics: createMetrics({ connectedClients: () => 0, defaultMetrics: false }), log: createLogger('silent') });
const who = (): DeviceIdentity => ({ deviceId: 'd1', householdId: 'h1', connection: 1 });
const now = 1_800_000_000_000;

describe('device clock offset', () => {
  it('reads an event of a clock 3 h behind on the hub clock, live and from a backlog', () => {
    const w = who();
    const d = deps();
    noteDeviceClock(w, now - 3 * HOUR, now, d);
    expect(eventTimeOnHubClock(w, now - 3 * HOUR - 1000, now)).toBe(now - 1000);
    expect(eventTimeOnHubClock(w, now - 3 * HOUR - 10 * 60_000, now)).toBe(now - 10 * 60_000);
  });

  it('reads an event of a clock 9 h ahead at its real time, not at its arrival', () => {
    const w = who();
    noteDeviceClock(w, now + 9 * HOUR, now, deps());
    expect(eventTimeOnHubClock(w, now + 9 * HOUR - 5000, now)).toBe(now - 5000);
  });

  it('leaves a clock within the tolerance alone and never dates an event after its receipt', () => {
    const w = who();
    noteDeviceClock(w, now + CLOCK_TOLERANCE_MS - 1, now, deps());
    expect(eventTimeOnHubClock(w, now - 2000, now)).toBe(now - 2000);
    expect(eventTimeOnHubClock(w, now + 2000, now)).toBe(now);
  });

  it('without a known offset, a time over a week old or in the future is replaced by the receipt', () => {
    const w = who();
    expect(eventTimeOnHubClock(w, 30_000, now)).toBe(now);
    expect(eventTimeOnHubClock(w, now + HOUR, now)).toBe(now);
    expect(eventTimeOnHubClock(w, now - HOUR, now)).toBe(now - HOUR);
  });

  it('is kept per connection, counted once per skewed connection, and forgotten when the clock is fixed', async () => {
    const a = who();
    const b = { ...who(), connection: 2 };
    const d = deps();
    noteDeviceClock(a, now - 3 * HOUR, now, d);
    noteDeviceClock(a, now - 3 * HOUR + 60_000, now + 60_000, d);
    expect(eventTimeOnHubClock(b, now - 3 * HOUR, now)).toBe(now - 3 * HOUR);
    expect((await d.metrics.registry.getSingleMetric('khoa_device_clock_skewed_total')?.get())?.values[0]?.value).toBe(1);
    noteDeviceClock(a, now, now, d);
    expect(eventTimeOnHubClock(a, now - 3 * HOUR, now)).toBe(now - 3 * HOUR);
  });
});
