import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { initial } from './0001-initial.ts';
import { accounts } from './0002-accounts.ts';
import { coverage } from './0003-coverage.ts';
import { rulesDone } from './0004-rules-done.ts';
import { rulesPendingIndex } from './0005-rules-pending-index.ts';
import { dropHouseholdTimeIndex } from './0006-drop-household-time-index.ts';

/**
 * Every migration in order, in code (no directory scan, so it works the same from a bundle).
 * A new migration is one file here plus one line; names sort in the order they run.
 */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const all: Record<string, Migration> = {
    '0001-initial': initial(dialect),
    '0002-accounts': accounts(dialect),
    '0003-coverage': coverage(dialect),
    '0004-rules-done': rulesDone(dialect),
    '0005-rules-pending-index': rulesPendingIndex(),
    '0006-drop-household-time-index': dropHouseholdTimeIndex(),
  };
  return { getMigrations: async () => all };
}
