import { describe, expect, it } from 'vitest';
import { runAgentClockSkew } from './agent-clock-skew.ts';

const HOUR = 3_600_000;

describe('agent-clock-skew', () => {
  it('agents hours ahead or behind: events once in order, lock state timed on the hub clock, no early night alert', async () => {
    const out = await runAgentClockSkew({ skewsMs: [-5 * HOUR, 0, 3 * HOUR], downSeconds: 2 });
    expect(out.sent).toBe(12);
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.outOfOrder).toBe(0);
    expect(out.alertsExpected).toBe(3);
    expect(out.alertsRaised).toBe(3);
    expect(out.alertsDoubled).toBe(0);
    for (const r of out.agents) {
      // The skewed clocks really were off: the device's own timestamp is stored as sent.
      expect(r.deviceTsKeptRaw).toBe(true);
      // Unlocked a moment ago, live or from the backlog, whatever the agent's clock said.
      expect(Math.abs(r.liveStateErrorS)).toBeLessThanOrEqual(60);
      expect(Math.abs(r.backlogStateErrorS)).toBeLessThanOrEqual(60);
      expect(r.nightAlerts).toBe(0);
    }
    // The two skewed agents were flagged (after the hub restart, by the new hub).
    expect(out.skewFlagged).toBe(2);
    // The night rule was live all along and runs on the hub's clock: front unlocked and back door forced open, per agent.
    expect(out.nightAlertsAfterHubAdvance).toBe(6);
  }, 60_000);
});
