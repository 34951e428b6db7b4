import type { LockEvent, LockEventType } from '@khoa/protocol';
import { getHousehold } from '../storage/households.ts';
import { markRulesDone } from '../storage/events.ts';
import type { Lock, Database } from '../storage/tables.ts';
import type { IngestContext } from './context.ts';
import type { Selectable } from 'kysely';

export interface StoredRef {
  deviceId: string;
  householdId: string;
  lockId: string;
}

/** Runs the rules for a stored lock event, then marks it done (see migration 0004). */
export async function runLockEventRules(ctx: IngestContext, ref: StoredRef, event: LockEvent, eventId: number, lock: Lock | undefined, receivedAt: number): Promise<void> {
  let household: ReturnType<typeof getHousehold> | undefined;
  await ctx.rules.dispatch({ kind: 'lock_event', ...ref, event, eventId, lock, receivedAt, household: () => (household ??= getHousehold(ctx.db, ref.householdId)) });
  await markRulesDone(ctx.db, eventId, ctx.now());
}

/** Runs the rules again for an event that was stored but whose rules never finished. */
export async function resumeStoredEvent(ctx: IngestContext, row: Selectable<Database['events']>): Promise<void> {
  const event: LockEvent = { seq: Number(row.seq), ts: Number(row.device_ts), type: row.type as LockEventType };
  if (row.battery !== null) event.battery = row.battery;
  if (row.failures !== null) event.failures = row.failures;
  if (row.source !== null) event.source = row.source;
  const lock = await ctx.db.selectFrom('locks').selectAll().where('device_id', '=', row.device_id).where('lock_id', '=', row.lock_id).executeTakeFirst();
  await runLockEventRules(ctx, { deviceId: row.device_id, householdId: row.household_id, lockId: row.lock_id }, event, Number(row.id), lock, Number(row.received_at));
}
