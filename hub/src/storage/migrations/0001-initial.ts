import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * The first schema. Written once for both dialects; only the auto-increment id and the
 * 64-bit time columns differ (SQLite's INTEGER is already 64-bit).
 */
export function initial(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('areas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('parent_id', 'text', (c) => c.references('areas.id'))
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('areas_parent').on('areas').column('parent_id').execute();

      await db.schema
        .createTable('households')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('area_id', 'text', (c) => c.notNull().references('areas.id'))
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('night_start', 'text', (c) => c.notNull())
        .addColumn('night_end', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('armed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('households_area').on('households').column('area_id').execute();

      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('credential_hash', 'text', (c) => c.notNull())
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('unknown'))
        .addColumn('status_at', ms)
        .addColumn('last_seen_at', ms)
        .addColumn('agent_version', 'text')
        .addColumn('platform', 'text')
        .addColumn('registered_at', ms)
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('devices_household').on('devices').column('household_id').execute();

      await db.schema
        .createTable('locks')
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
        .addColumn('lock_id', 'text', (c) => c.notNull())
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('driver', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('lock_state', 'text')
        .addColumn('lock_state_at', ms)
        .addColumn('door_state', 'text')
        .addColumn('door_state_at', ms)
        .addColumn('battery', 'real')
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('locks_pk', ['device_id', 'lock_id'])
        .execute();

      await db.schema
        .createTable('cameras')
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('name', 'text')
        .addColumn('manufacturer', 'text')
        .addColumn('model', 'text')
        .addColumn('firmware', 'text')
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('fps', 'real')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('state', 'text')
        .addColumn('state_at', ms)
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('cameras_pk', ['device_id', 'camera_id'])
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('id', sql.raw(dialect === 'postgres' ? 'bigserial' : 'integer'), (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
        .addColumn('household_id', 'text', (c) => c.notNull())
        .addColumn('lock_id', 'text', (c) => c.notNull())
        .addColumn('seq', ms, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('battery', 'real')
        .addColumn('failures', 'integer')
        .addColumn('source', 'text')
        .addColumn('device_ts', ms, (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        // Idempotency: a replay after reconnect carries the same (device, seq) and is stored once.
        .addUniqueConstraint('events_device_seq', ['device_id', 'seq'])
        .execute();
      await db.schema.createIndex('events_household_time').on('events').columns(['household_id', 'received_at']).execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', sql.raw(dialect === 'postgres' ? 'bigserial' : 'integer'), (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('household_id', 'text', (c) => c.notNull().references('households.id'))
        .addColumn('device_id', 'text', (c) => c.references('devices.id'))
        .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('source_event_id', ms, (c) => c.references('events.id'))
        .addColumn('snapshot_path', 'text')
        .addColumn('detail', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('deadline_at', ms, (c) => c.notNull())
        .addColumn('acknowledged_at', ms)
        .addColumn('acknowledged_by', 'text')
        .addColumn('assigned_at', ms)
        .addColumn('assigned_by', 'text')
        .addColumn('assigned_to', 'text')
        .addColumn('resolved_at', ms)
        .addColumn('resolved_by', 'text')
        .execute();
      await db.schema.createIndex('alerts_household_time').on('alerts').columns(['household_id', 'created_at']).execute();
      await db.schema.createIndex('alerts_status').on('alerts').columns(['status', 'deadline_at']).execute();
      // At most one open alert per kind, device and subject: the database itself refuses the
      // 50th low-battery alert, even with several hub processes racing (PostgreSQL mode).
      await db.schema
        .createIndex('alerts_one_open')
        .on('alerts')
        .columns(['kind', 'household_id', 'device_id', 'subject'])
        .unique()
        .where(sql.ref('status'), 'in', ['new', 'acknowledged', 'assigned'])
        .execute();

      await db.schema
        .createTable('alert_history')
        .addColumn('id', sql.raw(dialect === 'postgres' ? 'bigserial' : 'integer'), (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('alert_id', ms, (c) => c.notNull().references('alerts.id'))
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('note', 'text')
        .execute();
      await db.schema.createIndex('alert_history_alert').on('alert_history').column('alert_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['alert_history', 'alerts', 'events', 'cameras', 'locks', 'devices', 'households', 'areas']) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
