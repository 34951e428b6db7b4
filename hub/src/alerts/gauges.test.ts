import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../testing/harness.ts';

let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const scrape = async (t: TestHub) => (await fetch(`${t.http}/metrics`)).text();

describe('gauges read at scrape time', () => {
  it('reports open and overdue alerts by kind, and coverage per commune', async () => {
    let now = Date.now();
    t = await startTestHub(undefined, {}, { now: () => now, ruleTimer: false });
    await t.provision('hh-g1', 'dev-g1');
    await t.hub.raise({ kind: 'tip', householdId: 'hh-g1', deviceId: null, detail: 'xe lạ đỗ trước cổng' });
    await t.hub.raise({ kind: 'door_forced', householdId: 'hh-g1', deviceId: 'dev-g1', subject: 'front' });

    // Coverage comes from the district page's cache (fresh for a minute, computed at start, before
    // this test made its commune): a minute later one scrape refreshes it for the next.
    now += 61_000;
    await scrape(t);
    await new Promise((r) => setTimeout(r, 300));
    let text = await scrape(t);
    expect(text).toMatch(/khoa_alerts_open\{kind="tip",status="new"\} 1/);
    expect(text).toMatch(/khoa_alerts_open\{kind="door_forced",status="new"\} 1/);
    expect(text).toMatch(/khoa_alerts_overdue\{kind="tip"\} 0/);
    // The test commune has one household and no camera: 0 % covered.
    expect(text).toMatch(/khoa_coverage_percent\{area="test-commune",level="commune"\} 0/);

    now += 3 * 86_400_000; // past every deadline
    text = await scrape(t);
    expect(text).toMatch(/khoa_alerts_overdue\{kind="tip"\} 1/);
    expect(text).toMatch(/khoa_alerts_overdue\{kind="door_forced"\} 1/);
  });
});
