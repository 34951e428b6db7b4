import type { LockEvent, LockEventType } from '@khoa/protocol';
import { getHousehold } from '../storage/households.ts';
import type { Database } from '../storage/tables.ts';
import type { IngestContext } from './context.ts';
import type { LockEventInput } from '../rules/types.ts';
import type { Selectable } from 'kysely';

export interface StoredRef {
  deviceId: string;
  householdId: string;
  lockId: string;
}

/** Waits before each new run of a lock event's failed rules: about the resume lease in all. */
const RULE_RETRY_MS = [500, 1000, 2000, 4000, 8000];

/**
 * Runs the rules for a stored lock event, then marks it done (see migration 0004); with
 * `awaitMark` false it returns before the mark has committed. Resolves to false when a rule
 * failed (most often its alert write, while storage is unavailable): the event is then left
 * unfinished, since marking it done would lose that alert for good, and the failed rules run
 * again in the background until they succeed. If they never do, or the hub dies first, the
 * resume sweep (resume-rules.ts) finds the event unfinished and runs its rules. Returns without
 * a promise when no rule needed one and the mark is not awaited (most events on the broker).
 */
export function runLockEventRules(ctx: IngestContext, ref: StoredRef, event: LockEvent, eventId: number, receivedAt: number, awaitMark = true): Promise<boolean> | boolean {
  let cached: ReturnType<typeof getHousehold> | undefined;
  // A method, not an arrow property: tsx names every arrow it creates (a defineProperty call
  // per lock event on the broker's path).
  const input: LockEventInput = {
    kind: 'lock_event', ...ref, event, eventId, receivedAt,
    household() {
      return (cached ??= getHousehold(ctx.db, ref.householdId));
    },
  };
  const failed = ctx.rules.dispatch(input);
  return Array.isArray(failed) ? afterRules(ctx, input, failed, awaitMark) : failed.then((f) => afterRules(ctx, input, f, awaitMark));
}

function afterRules(ctx: IngestContext, input: LockEventInput, failed: string[], awaitMark: boolean): Promise<boolean> | boolean {
  if (failed.length === 0) {
    const marked = ctx.lockEvents.markRulesDone(input.eventId, ctx.now());
    if (awaitMark) return marked.then(() => true);
    // Not awaited on the broker's path: the device's next event must not wait for this commit,
    // so the marks of a burst share one (Ingest.stop() flushes them). A mark lost to a crash or
    // a storage failure only makes the resume sweep run these rules again, and their alerts are
    // deduplicated.
    marked.catch(() => ctx.metrics.ingestFailures.inc({ kind: 'lock_event' }));
    return true;
  }
  void retryFailedRules(ctx, input, failed);
  return false;
}

async function retryFailedRules(ctx: IngestContext, input: LockEventInput, failed: string[]): Promise<void> {
  for (const ms of RULE_RETRY_MS) {
    // Unref'd: a retry pending must not keep a stopping hub (or a CLI) alive.
    await new Promise((resolve) => setTimeout(resolve, ms).unref());
    failed = await ctx.rules.dispatch(input, new Set(failed));
    if (failed.length === 0) {
      await ctx.lockEvents.markRulesDone(input.eventId, ctx.now()).catch(() => {
        // left unfinished: the sweep runs its rules again, and their alerts are deduplicated
      });
      return;
    }
  }
}

/** Runs the rules again for an event that was stored but whose rules never finished; false as for runLockEventRules. */
export async function resumeStoredEvent(ctx: IngestContext, row: Selectable<Database['events']>): Promise<boolean> {
  const event: LockEvent = { seq: Number(row.seq), ts: Number(row.device_ts), type: row.type as LockEventType };
  if (row.battery !== null) event.battery = row.battery;
  if (row.failures !== null) event.failures = row.failures;
  if (row.source !== null) event.source = row.source;
  return runLockEventRules(ctx, { deviceId: row.device_id, householdId: row.household_id, lockId: row.lock_id }, event, Number(row.id), Number(row.received_at));
}
