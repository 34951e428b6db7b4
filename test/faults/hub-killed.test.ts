import { describe, expect, it } from 'vitest';
import { runHubKilled } from './hub-killed.ts';

describe('fault: hub process SIGKILLed mid-stream', () => {
  it('after the restart every event is stored once and every forced door alerts once', async () => {
    const out = await runHubKilled({ agents: 3 });
    console.log(JSON.stringify(out));
    expect(out.sent).toBeGreaterThan(100);
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.stored).toBe(out.sent);
    expect(out.alertsRaised).toBe(out.alertsExpected);
    expect(out.recoverySeconds).not.toBeNull();
    expect(out.notes).toMatch(/ 0 events left with unfinished rules/);
  }, 60_000);
});

describe('fault: hub process SIGKILLed while its alert writes were failing', () => {
  it('the restarted hub raises the alerts of events it had stored and acknowledged, once', async () => {
    const out = await runHubKilled({ agents: 3, alertWritesFailing: true });
    console.log(JSON.stringify(out));
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.alertsRaised).toBe(out.alertsExpected);
    expect(out.recoverySeconds).not.toBeNull();
    expect(out.notes).toMatch(/ 0 events left with unfinished rules/);
  }, 60_000);
});
