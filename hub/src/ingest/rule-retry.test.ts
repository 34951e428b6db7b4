import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '@khoa/protocol';
import { metricValue, startTestHub, waitFor, type TestHub } from '../testing/harness.ts';
import { createLockEventStore } from '../storage/lock-event-store.ts';
import { createHeartbeatStore } from '../storage/heartbeat-store.ts';
import { resumeUnhandledRules } from './resume-rules.ts';
import { claimUnhandledEvents } from '../storage/events.ts';
import { createLogger } from '../log.ts';
import type { IngestContext } from './context.ts';
import { discardFrames } from './frame-sink.ts';

// An alert write that fails while the event's own write succeeds (storage trouble that hits one
// statement and not the next) used to lose the alert: the rule engine isolates the failure, the
// event was marked done and acknowledged, and its resend is a plain replay. The fault here is a
// trigger another connection puts on the alerts table for a while, longer than raise's retries.
// Likewise a sweep's claim used to mark the event done: a hub dying while it ran the claimed
// event's rules lost their alerts.
let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function failAlertWrites(hub: TestHub): () => void {
  const other = new Database(hub.hub.db.where.replace(/^sqlite:/, ''));
  other.exec(`create trigger fault_alerts before insert on alerts begin select raise(abort, 'injected alert write failure'); end`);
  return () => {
    other.exec('drop trigger fault_alerts');
    other.close();
  };
}

const alertsOf = (hh: string) => t!.hub.db.kysely.selectFrom('alerts').select(['kind', 'source_event_id']).where('household_id', '=', hh).execute();
const rulesDone = async (id: number) => (await t!.hub.db.kysely.selectFrom('events').select('rules_done_at').where('id', '=', id).executeTakeFirstOrThrow()).rules_done_at;

describe('a rule whose alert write fails', () => {
  it('leaves the event unfinished and runs the rule again until its alert is stored, once', async () => {
    t = await startTestHub();
    const password = await t.provision('hh-rf', 'dev-rf');
    const c = await t.connect('dev-rf', password);
    const ref = { householdId: 'hh-rf', deviceId: 'dev-rf' };
    const restore = failAlertWrites(t);
    try {
      await c.publishAsync(topics.lockEvent(ref, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'forced' }), { qos: 1 });
      // Acknowledged (the event is stored), its rule failed after raise's own retries (~2.6 s).
      await waitFor(async () => (await metricValue(t!.hub, 'khoa_rule_failures_total', { rule: 'door-forced' })) > 0, 10_000, 'rule failure');
      const ev = await t.hub.db.kysely.selectFrom('events').select(['id', 'rules_done_at']).executeTakeFirstOrThrow();
      expect(ev.rules_done_at).toBeNull();
      expect(await alertsOf('hh-rf')).toEqual([]);
    } finally {
      restore();
    }
    const alerts = await waitFor(async () => ((await alertsOf('hh-rf')).length ? alertsOf('hh-rf') : null), 20_000, 'alert after the fault');
    expect(alerts.map((a) => a.kind)).toEqual(['door_forced']);
    const id = alerts[0]!.source_event_id!;
    await waitFor(async () => (await rulesDone(id)) !== null, 5000, 'event marked done');
    await new Promise((r) => setTimeout(r, 500));
    expect((await alertsOf('hh-rf')).length).toBe(1);
  }, 40_000);

  it('the sweep gives its claim back when a rule fails again, and a later sweep raises the alert once', async () => {
    let now = 1_800_000_000_000;
    t = await startTestHub(undefined, {}, { now: () => now, ruleTimer: false });
    await t.provision('hh-rs', 'dev-rs');
    const ref = { householdId: 'hh-rs', deviceId: 'dev-rs', lockId: 'back' };
    await createLockEventStore(t.hub.db).write(ref, { seq: 1, ts: now, type: 'forced' }, now, now); // stored, then the hub died
    const ctx: IngestContext = { db: t.hub.db.kysely, settings: t.hub.settings, metrics: t.hub.metrics, rules: t.hub.rules, frames: discardFrames, lockEvents: createLockEventStore(t.hub.db), heartbeats: createHeartbeatStore(t.hub.db), now: () => now };
    const log = createLogger('silent');
    now += 20_000;
    const restore = failAlertWrites(t);
    try {
      expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(1);
      const ev = await t.hub.db.kysely.selectFrom('events').select(['id', 'rules_done_at']).executeTakeFirstOrThrow();
      expect(ev.rules_done_at).toBeNull(); // given back, not marked done with no alert
    } finally {
      restore();
    }
    now += 20_000;
    // The background retry of the first sweep and this sweep may both run the rule: one alert.
    await resumeUnhandledRules(ctx, log, 15_000);
    await waitFor(async () => (await alertsOf('hh-rs')).length > 0, 20_000, 'alert');
    await new Promise((r) => setTimeout(r, 500));
    expect((await alertsOf('hh-rs')).map((a) => a.kind)).toEqual(['door_forced']);
  }, 40_000);

  it('a claim whose hub died before finishing expires: a later sweep takes the event and raises its alert once', async () => {
    let now = 1_800_000_000_000;
    t = await startTestHub(undefined, {}, { now: () => now, ruleTimer: false });
    await t.provision('hh-rc', 'dev-rc');
    const ref = { householdId: 'hh-rc', deviceId: 'dev-rc', lockId: 'side' };
    await createLockEventStore(t.hub.db).write(ref, { seq: 1, ts: now, type: 'forced' }, now, now);
    now += 20_000;
    // Another hub's sweep claims it and dies before running its rules.
    expect(await claimUnhandledEvents(t.hub.db.kysely, now - 15_000, now)).toHaveLength(1);
    const ctx: IngestContext = { db: t.hub.db.kysely, settings: t.hub.settings, metrics: t.hub.metrics, rules: t.hub.rules, frames: discardFrames, lockEvents: createLockEventStore(t.hub.db), heartbeats: createHeartbeatStore(t.hub.db), now: () => now };
    const log = createLogger('silent');
    now += 5_000;
    expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(0); // the claim is still fresh
    now += 20_000;
    expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(1);
    expect((await alertsOf('hh-rc')).map((a) => a.kind)).toEqual(['door_forced']);
    expect(await rulesDone(Number((await alertsOf('hh-rc'))[0]!.source_event_id))).toBeGreaterThan(0);
    expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(0);
  });
});
