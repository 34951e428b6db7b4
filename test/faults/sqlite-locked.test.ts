import { describe, expect, it } from 'vitest';
import { runSqliteLocked } from './sqlite-locked.ts';

describe('fault: SQLite file locked by another process', () => {
  it('acknowledges nothing it could not store; after the lock every event is stored once and every forced door alerts once', async () => {
    const out = await runSqliteLocked({ agents: 3, holdMs: 6500 });
    console.log(JSON.stringify(out));
    expect(out.sent).toBeGreaterThan(100);
    expect(out.lost).toBe(0);
    expect(out.doubled).toBe(0);
    expect(out.stored).toBe(out.sent);
    expect(out.alertsRaised).toBe(out.alertsExpected);
    expect(out.recoverySeconds).not.toBeNull();
    // The fault really bit: writes failed during the lock and were counted.
    expect(out.notes).toMatch(/^3 agents; [1-9]\d* lock-event writes failed/);
    expect(out.notes).toMatch(/answered \/healthz/);
  }, 60_000);
});
