import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Console accounts and everything police and households write through the consoles:
 * sessions, alert notes, the privacy audit log, tips, advisories, the lock-safety survey and
 * camera sharing. Same shape on SQLite and PostgreSQL, like 0001.
 */
export function accounts(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const serial = sql.raw(dialect === 'postgres' ? 'bigserial' : 'integer');
  const pk = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // The console lists alerts newest first and pages by (created_at, id): walking this index
      // lets a page stop after its 50 rows instead of sorting every open alert of the commune.
      await db.schema.createIndex('alerts_created_id').on('alerts').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('users')
        .addColumn('id', serial, pk)
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('area_id', 'text', (c) => c.references('areas.id'))
        .addColumn('household_id', 'text', (c) => c.references('households.id'))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('password_changed_at', ms, (c) => c.notNull())
        .execute();

      // Only a SHA-256 of the session token is stored: a leaked table cannot be replayed as cookies.
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', ms, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_seen_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('alert_notes')
        .addColumn('id', serial, pk)
        .addColumn('alert_id', ms, (c) => c.notNull().references('alerts.id'))
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_notes_alert').on('alert_notes').column('alert_id').execute();

      // Decree 13/2023: every view of a household's image by anyone else is recorded.
      await db.schema
        .createTable('audit_log')
        .addColumn('id', serial, pk)
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('household_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

      await db.schema
        .createTable('tips')
        .addColumn('id', serial, pk)
        .addColumn('alert_id', ms, (c) => c.notNull().references('alerts.id'))
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        // Photos live in the database (at most 2 MB each, a few a day per commune) so a tip
        // needs no shared file store when several hubs serve a province.
        .addColumn('photo', dialect === 'postgres' ? 'bytea' : 'blob')
        .addColumn('photo_type', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tips_household_time').on('tips').columns(['household_id', 'created_at']).execute();
      await db.schema.createIndex('tips_alert').on('tips').column('alert_id').execute();

      await db.schema
        .createTable('advisories')
        .addColumn('id', serial, pk)
        .addColumn('area_id', 'text', (c) => c.notNull().references('areas.id'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('lang', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('advisories_area').on('advisories').columns(['area_id', 'created_at']).execute();

      await db.schema
        .createTable('surveys')
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('quarter', 'text', (c) => c.notNull())
        .addColumn('answers', 'text', (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('surveys_pk', ['household_id', 'quarter'])
        .execute();

      await db.schema
        .createTable('camera_shares')
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('until', ms, (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('camera_shares_pk', ['household_id', 'device_id', 'camera_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('alerts_created_id').execute();
      for (const t of ['camera_shares', 'surveys', 'advisories', 'tips', 'audit_log', 'alert_notes', 'sessions', 'users']) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
