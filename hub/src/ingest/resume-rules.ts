import { claimUnhandledEvents } from '../storage/events.ts';
import type { Logger } from '../log.ts';
import type { IngestContext } from './context.ts';
import { resumeStoredEvent } from './lock-event-rules.ts';

/**
 * Finds lock events that were stored but whose rules never finished (the hub died in between)
 * and runs their rules. `leaseMs` leaves time to a hub that is still working on one (several
 * hubs share the database in scale-out mode). Alerts are deduplicated by the database (one open
 * alert per kind, device and subject), so a rule that had half run raises nothing twice.
 */
export async function resumeUnhandledRules(ctx: IngestContext, log: Logger, leaseMs: number): Promise<number> {
  const now = ctx.now();
  const rows = await claimUnhandledEvents(ctx.db, now - leaseMs, now);
  for (const row of rows) {
    try {
      await resumeStoredEvent(ctx, row);
    } catch (err) {
      log.error({ err, eventId: row.id, deviceId: row.device_id }, 'resuming the rules of an event failed');
    }
  }
  if (rows.length) log.warn({ events: rows.length }, 'ran the rules of events a previous hub stored but never finished');
  return rows.length;
}
