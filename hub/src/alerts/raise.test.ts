import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestHub, metricValue, type TestHub } from '../testing/harness.ts';

describe('raising an alert', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(undefined, {}, { ruleTimer: false });
    await t.provision('hh-a', 'agent-a');
  });
  afterAll(() => t?.close());

  it('retries a failed write, so a brief storage outage does not lose the alert', async () => {
    const db = t.hub.db.kysely;
    await sql`alter table alerts rename to alerts_away`.execute(db);
    // Back after the first retry delay: the first attempt fails, a later one succeeds.
    setTimeout(() => void sql`alter table alerts_away rename to alerts`.execute(db), 50);
    const alert = await t.hub.raise({ kind: 'sos', householdId: 'hh-a', deviceId: 'agent-a', subject: 'keyring' });
    expect(alert).toMatchObject({ kind: 'sos', severity: 'critical', status: 'new' });
    expect(await metricValue(t.hub, 'khoa_alerts_raised_total', { kind: 'sos' })).toBe(1);
  });

  it('sets the deadline from the severity and announces the alert on the bus', async () => {
    const heard: number[] = [];
    const off = t.hub.alerts.on((a) => heard.push(a.id));
    const a = await t.hub.raise({ kind: 'low_battery', householdId: 'hh-a', deviceId: 'agent-a', subject: 'front' });
    off();
    expect(a!.deadline_at - a!.created_at).toBe(t.hub.settings.alerts.deadlineMinutes.low * 60_000);
    expect(heard).toEqual([a!.id]);
    expect(await t.hub.raise({ kind: 'low_battery', householdId: 'hh-a', deviceId: 'agent-a', subject: 'front' })).toBeNull();
  });
});
