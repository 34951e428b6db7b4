import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '@khoa/protocol';
import { startTestHub, waitFor, type TestHub } from '../testing/harness.ts';
import { createLockEventStore } from '../storage/lock-event-store.ts';
import { createHeartbeatStore } from '../storage/heartbeat-store.ts';
import { resumeUnhandledRules } from './resume-rules.ts';
import { createLogger } from '../log.ts';
import type { IngestContext } from './context.ts';
import { discardFrames } from './frame-sink.ts';
import { dbTargets } from '../testing/databases.ts';
import { validateSettings } from '../settings/load.ts';
import { startHub } from '../hub.ts';
import { addArea } from '../storage/areas.ts';
import { addHousehold } from '../storage/households.ts';
import { addDevice } from '../storage/devices.ts';

// A hub that dies after storing an event but before its rules ran used to lose the alert for
// good: the agent's resend is a replay, and replays run no rules. These tests store an event
// the way ingest does and stop there, as the crash would.
let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const alertsOf = (hh: string) => t!.hub.db.kysely.selectFrom('alerts').select(['kind', 'source_event_id']).where('household_id', '=', hh).execute();

describe('rules of events cut off by a crash', () => {
  it('a resend of an event whose rules never ran raises its alert once', async () => {
    t = await startTestHub();
    const password = await t.provision('hh-crash', 'dev-crash');
    const ref = { householdId: 'hh-crash', deviceId: 'dev-crash', lockId: 'front' };
    const event = { seq: 7, ts: Date.now(), type: 'forced' as const };
    await createLockEventStore(t.hub.db).write(ref, event, Date.now(), Date.now()); // stored, then "crash"
    expect(await alertsOf('hh-crash')).toEqual([]);

    const c = await t.connect('dev-crash', password);
    await c.publishAsync(topics.lockEvent(ref, 'front'), JSON.stringify(event), { qos: 1 });
    const alerts = await waitFor(async () => ((await alertsOf('hh-crash')).length ? alertsOf('hh-crash') : null), 5000, 'alert after resend');
    expect(alerts.map((a) => a.kind)).toEqual(['door_forced']);

    // Another resend is an ordinary replay now: nothing more.
    await c.publishAsync(topics.lockEvent(ref, 'front'), JSON.stringify(event), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await alertsOf('hh-crash')).length).toBe(1);
  });

  it('a hub with the embedded broker runs, as it starts, the rules of events its dead predecessor acknowledged', async () => {
    const env = dbTargets[0]!.make();
    const settings = validateSettings({ dataDir: env.dataDir, logLevel: 'silent', mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, db: env.db, pipeline: { workers: 0 } });
    try {
      const first = await startHub(settings, { logger: createLogger('silent'), ruleTimer: false });
      await addArea(first.db.kysely, { id: 'xa', level: 'commune', name: 'Xã' });
      await addHousehold(first.db.kysely, { id: 'hh-dead', areaId: 'xa', address: '?' });
      await addDevice(first.db.kysely, { id: 'dev-dead', householdId: 'hh-dead', credentialHash: 'x' });
      const ref = { householdId: 'hh-dead', deviceId: 'dev-dead', lockId: 'front' };
      // Stored and acknowledged, then the hub died before the rules: the agent will not resend.
      await createLockEventStore(first.db).write(ref, { seq: 3, ts: Date.now(), type: 'forced' }, Date.now(), Date.now());
      await first.stop();
      const second = await startHub(settings, { logger: createLogger('silent'), ruleTimer: false });
      try {
        // No waiting: started means swept (the periodic sweep would take a lease and a tick).
        const alerts = await second.db.kysely.selectFrom('alerts').select('kind').where('household_id', '=', 'hh-dead').execute();
        expect(alerts.map((a) => a.kind)).toEqual(['door_forced']);
        const left = await second.db.kysely.selectFrom('events').select('id').where('rules_done_at', 'is', null).execute();
        expect(left).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      await env.cleanup();
    }
  });

  it('the periodic sweep finishes events left by a dead hub, after the lease, once', async () => {
    let now = 1_800_000_000_000;
    t = await startTestHub(undefined, {}, { now: () => now, ruleTimer: false });
    await t.provision('hh-sweep', 'dev-sweep');
    const ref = { householdId: 'hh-sweep', deviceId: 'dev-sweep', lockId: 'back' };
    await createLockEventStore(t.hub.db).write(ref, { seq: 1, ts: now, type: 'tamper' }, now, now);
    const ctx: IngestContext = { db: t.hub.db.kysely, settings: t.hub.settings, metrics: t.hub.metrics, rules: t.hub.rules, frames: discardFrames, lockEvents: createLockEventStore(t.hub.db), heartbeats: createHeartbeatStore(t.hub.db), now: () => now };
    const log = createLogger('silent');

    expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(0); // within the lease: another hub may be on it
    now += 20_000;
    expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(1);
    expect((await alertsOf('hh-sweep')).map((a) => a.kind)).toEqual(['tamper']);
    expect(await resumeUnhandledRules(ctx, log, 15_000)).toBe(0);
  });
});
