import { describe, expect, it } from 'vitest';
import { runLinkFlapping } from './link-flapping.ts';

describe('link-flapping', () => {
  it('every event stored once and in seq order, each forced door alerted once, no agent_offline for short flaps', async () => {
    const out = await runLinkFlapping({ agents: 3, locks: 3, flapSeconds: 8, cutEveryMs: 300, eventEveryMs: 30, offlineGraceMs: 2500, seed: 9 });
    // The fault really happened: links were cut many times, some inside a packet, and the agents came back each time.
    expect(out.cuts).toBeGreaterThan(20);
    expect(out.reconnects).toBeGreaterThan(10);
    expect(out.sent).toBeGreaterThan(200);
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.stored).toBe(out.sent);
    expect(out.outOfOrder).toBe(0);
    expect(out.mismatched).toBe(0);
    expect(out.alertsExpected).toBe(9);
    expect(out.alertsRaised).toBe(out.alertsExpected);
    expect(out.alertsDoubled).toBe(0);
    expect(out.offlineAlerts).toBe(0);
    expect(out.markedOfflineWhileConnected).toBe(0);
    // The rule was live: once the links stay down past the grace, each agent is reported once.
    expect(out.offlineAlertsAfterControl).toBe(3);
    expect(out.recoverySeconds).not.toBeNull();
  }, 60_000);
});
