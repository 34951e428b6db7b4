import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '@khoa/protocol';
import { metricValue, startTestHub, waitFor, type TestHub } from '../testing/harness.ts';

let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('a seq the device already used', () => {
  it('an identical resend is a replay; a different event under the same seq is counted as a conflict, never silently dropped', async () => {
    t = await startTestHub();
    const dev = { householdId: 'hh-seq', deviceId: 'agent-seq' };
    const client = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
    const topic = topics.lockEvent(dev, 'front');
    const first = JSON.stringify({ seq: 7, ts: 1_800_000_000_000, type: 'unlocked' });
    await client.publishAsync(topic, first, { qos: 1 });
    await client.publishAsync(topic, first, { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ seq: 7, ts: 1_800_000_060_000, type: 'forced' }), { qos: 1 });
    await client.publishAsync(topics.lockEvent(dev, 'back'), JSON.stringify({ seq: 7, ts: 1_800_000_000_000, type: 'unlocked' }), { qos: 1 });
    // Same lock and type, from a later run of the agent.
    await client.publishAsync(topic, JSON.stringify({ seq: 7, ts: 1_800_000_300_000, type: 'unlocked' }), { qos: 1 });
    await waitFor(async () => (await metricValue(t!.hub, 'khoa_events_seq_conflict_total')) === 3, 5000, 'three conflicts counted');
    expect(await metricValue(t.hub, 'khoa_events_duplicate_total')).toBe(1);
    const rows = await t.hub.db.kysely.selectFrom('events').select(['seq', 'type', 'lock_id']).where('device_id', '=', dev.deviceId).execute();
    expect(rows).toEqual([{ seq: 7, type: 'unlocked', lock_id: 'front' }]);
    // The conflicting forced door raised nothing: it was never stored (the metric is what tells).
    const alerts = await t.hub.db.kysely.selectFrom('alerts').selectAll().where('device_id', '=', dev.deviceId).execute();
    expect(alerts).toEqual([]);
  });
});
