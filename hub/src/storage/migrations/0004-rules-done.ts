import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * When the rules finished with an event. An event is stored before the rules run; a hub that
 * dies in between used to lose the alert for good, because the agent's resend is a replay and
 * replays run no rules. Events without this mark are run through the rules again (ingest/
 * resume-rules.ts). Events already stored were handled by the hub that stored them.
 */
export function rulesDone(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('events').addColumn('rules_done_at', ms).execute();
      await sql`update events set rules_done_at = received_at`.execute(db);
    },
  };
}
