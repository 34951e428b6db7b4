import { describe, expect, it } from 'vitest';
import { runBrokerRestart } from './broker-restart.ts';

describe('broker-restart', () => {
  it('hub restarted under production: every event stored once in order, each forced door alerted once, agents back', async () => {
    const out = await runBrokerRestart({ agents: 5, locks: 2, beforeSeconds: 2, downSeconds: 3, afterSeconds: 2, eventEveryMs: 50, reconnectMaxMs: 1000, seed: 4 });
    // The outage really held events back on the agents.
    expect(out.queuedAtReturn).toBeGreaterThan(0);
    expect(out.sent).toBeGreaterThan(100);
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.stored).toBe(out.sent);
    expect(out.outOfOrder).toBe(0);
    expect(out.mismatched).toBe(0);
    expect(out.alertsExpected).toBe(10);
    expect(out.alertsRaised).toBe(out.alertsExpected);
    expect(out.alertsDoubled).toBe(0);
    expect(out.offlineAlerts).toBe(0);
    expect(out.recoverySeconds).not.toBeNull();
  }, 60_000);
});
