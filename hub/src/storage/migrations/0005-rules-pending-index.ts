import { sql, type Kysely } from 'kysely';

/**
 * The resume sweep (ingest/resume-rules.ts) looks for events whose rules never finished on
 * every rules tick; without an index that was a scan of the whole events table (29 ms at
 * 500,000 events, on the event loop). Partial: only the unfinished and claimed events are in
 * it, so the lock-event path adds one entry that its rules-done mark removes again. Each branch
 * of the sweep's query (storage/events.ts) names one of its conditions, which is what SQLite
 * needs to use a partial index; PostgreSQL proves it either way.
 */
export function rulesPendingIndex() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // search_path names the schema on PostgreSQL, as for the other tables.
      await sql`create index events_rules_pending on events (id) where rules_done_at is null or rules_done_at < 0`.execute(db);
    },
  };
}
