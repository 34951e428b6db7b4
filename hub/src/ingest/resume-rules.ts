import { CLAIM_LIMIT, claimUnhandledEvents, releaseClaim } from '../storage/events.ts';
import type { Logger } from '../log.ts';
import type { IngestContext } from './context.ts';
import { resumeStoredEvent } from './lock-event-rules.ts';

const RESUME_GIVE_UP_MS = 86_400_000;

/**
 * Finds lock events that were stored but whose rules never finished (the hub died in between,
 * or a rule failed) and runs their rules. `leaseMs` leaves time to a hub that is still working on one (several
 * hubs share the database in scale-out mode). Alerts are deduplicated by the database (one open
 * alert per kind, device and subject), so a rule that had half run raises nothing twice.
 */
export async function resumeUnhandledRules(ctx: IngestContext, log: Logger, leaseMs: number): Promise<number> {
  const now = ctx.now();
  const rows = await claimUnhandledEvents(ctx.db, now - leaseMs, now);
  for (const row of rows) {
    let done = false;
    try {
      done = await resumeStoredEvent(ctx, row);
    } catch (err) {
      log.error({ err, eventId: row.id, deviceId: row.device_id }, 'resuming the rules of an event failed');
    }
    if (done) continue;
    // A rule failed again: given back, the event is swept at the next tick (its failed rules are
    // also retried in the background). After a day it is marked done, logged: a rule that
    // always fails would otherwise run its event's other rules every tick for ever.
    if (Number(row.received_at) > now - RESUME_GIVE_UP_MS) await releaseClaim(ctx.db, Number(row.id), now).catch(() => {});
    else {
      log.error({ eventId: row.id, deviceId: row.device_id }, 'rules of an event still failing after a day; given up');
      await ctx.lockEvents.markRulesDone(Number(row.id), now).catch(() => {});
    }
  }
  if (rows.length) log.warn({ events: rows.length }, 'ran the rules of events a previous hub stored but never finished');
  return rows.length;
}

/** Sweeps at start-up, at most this many times CLAIM_LIMIT events (a rule failing on more is left to the periodic sweep). */
const START_SWEEPS = 50;

/**
 * At the start of a hub with the embedded broker: it is the only hub, so every unfinished event
 * was left by a predecessor that died after acknowledging it, and the agent will not send it
 * again. Its rules run now, not a lease and a tick later: a forced door cut off by a crash is
 * alerted as the hub comes back.
 */
export async function resumeLeftByDeadHub(ctx: IngestContext, log: Logger): Promise<number> {
  let total = 0;
  for (let i = 0; i < START_SWEEPS; i++) {
    const n = await resumeUnhandledRules(ctx, log, 0);
    total += n;
    if (n < CLAIM_LIMIT) break;
  }
  return total;
}
