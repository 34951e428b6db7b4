import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * What district and province officials track (issue 7): the history of the area tree and of
 * household moves, so a past period's report re-runs as it was; census counts per area (the
 * plans measure coverage against every household of a commune, not only those using Khoa);
 * daily coverage snapshots; commune standings and "An toàn về ANTT" recognitions; and the
 * time each camera last delivered a frame.
 */
export function coverage(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One row per state of an area; valid_to null is the current one. Names, parents, kinds
      // and census counts change with reforms and new censuses; a report for a past period
      // reads the version valid at the period's end.
      await db.schema
        .createTable('area_versions')
        .addColumn('area_id', 'text', (c) => c.notNull().references('areas.id'))
        .addColumn('valid_from', ms, (c) => c.notNull())
        .addColumn('valid_to', ms)
        .addColumn('parent_id', 'text')
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text')
        // Census figures given for this area itself (not its children); null when unknown.
        .addColumn('households', 'integer')
        .addColumn('residential_areas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('residential_areas_covered', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('agencies', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('agencies_covered', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('area_versions_pk', ['area_id', 'valid_from'])
        .execute();
      await db.schema.createIndex('area_versions_time').on('area_versions').columns(['valid_from', 'valid_to']).execute();
      // Every existing area starts its history at its creation.
      await sql`insert into area_versions (area_id, valid_from, valid_to, parent_id, level, name, kind, households)
        select id, created_at, null, parent_id, level, name, kind, null from areas`.execute(db);

      // Only moves are stored: a household's area at time t is the from_area of its first move
      // after t, or its current area when it has not moved since.
      await db.schema
        .createTable('household_moves')
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('from_area_id', 'text', (c) => c.notNull())
        .addColumn('to_area_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('household_moves_pk', ['household_id', 'at'])
        .execute();
      await db.schema.createIndex('household_moves_at').on('household_moves').column('at').execute();
      // Response figures read a period's alerts of every kind by creation time.
      await db.schema.createIndex('alerts_created').on('alerts').column('created_at').execute();

      // Written by ingest at most every few minutes per camera (not per frame: the hot path).
      await db.schema.alterTable('cameras').addColumn('last_frame_at', ms).execute();
      await db.schema.createIndex('cameras_last_frame').on('cameras').columns(['last_frame_at', 'household_id']).execute();
      // Coverage counts households per area created by a date: answered from the index alone.
      await db.schema.createIndex('households_area_created').on('households').columns(['area_id', 'created_at']).execute();

      // Coverage of every area once a day: a past month's figure is read, not recomputed from
      // cameras whose frames have since moved on.
      await db.schema
        .createTable('coverage_snapshots')
        .addColumn('area_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('figures', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('coverage_snapshots_pk', ['area_id', 'day'])
        .execute();

      await db.schema
        .createTable('commune_standings')
        .addColumn('area_id', 'text', (c) => c.notNull().references('areas.id'))
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('class', 'text')
        .addColumn('rating', 'text')
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('commune_standings_pk', ['area_id', 'period'])
        .execute();

      await db.schema
        .createTable('safety_recognitions')
        .addColumn('area_id', 'text', (c) => c.notNull().references('areas.id'))
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('recognised', 'integer', (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('safety_recognitions_pk', ['area_id', 'year'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['safety_recognitions', 'commune_standings', 'coverage_snapshots', 'household_moves', 'area_versions']) {
        await db.schema.dropTable(t).execute();
      }
      await db.schema.dropIndex('alerts_created').execute();
      await db.schema.dropIndex('households_area_created').execute();
      await db.schema.dropIndex('cameras_last_frame').execute();
      await db.schema.alterTable('cameras').dropColumn('last_frame_at').execute();
    },
  };
}
