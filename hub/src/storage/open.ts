import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { KhoaError } from '@khoa/protocol';
import type { Database } from './tables.ts';
import type { Dialect } from './dialect.ts';
import { migrationProvider } from './migrations/index.ts';
import { withStatementCache } from './statement-cache.ts';

export interface DbSettings {
  /** '' (SQLite in dataDir), `sqlite:PATH`, or `postgres://…` / `postgresql://…`. */
  url: string;
  schema?: string | undefined;
  busyTimeoutMs: number;
}

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** Human-readable location without credentials (for logs and /healthz). */
  where: string;
  /**
   * The better-sqlite3 handle under kysely (SQLite only), for the few statements on the
   * broker's hot path that are worth preparing once (see lock-event-store.ts).
   */
  native?: SqliteDatabase.Database;
  /** PostgreSQL schema the tables live in, when one is configured. */
  schema?: string | undefined;
  /** Cheap round trip for /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the database named by the settings and brings its schema up to date. */
export async function openDb(settings: DbSettings, dataDir: string): Promise<Db> {
  const db = /^postgres(ql)?:\/\//.test(settings.url) ? await openPostgres(settings) : openSqlite(settings, dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err instanceof KhoaError ? err : new KhoaError('KHOA_ERR_STORAGE', `migration failed: ${(err as Error).message}`, { where: db.where }, { cause: err });
  }
  return db;
}

function openSqlite(settings: DbSettings, dataDir: string): Db {
  const file = settings.url.startsWith('sqlite:') ? settings.url.slice('sqlite:'.length) : join(dataDir, 'khoa.sqlite');
  if (!file) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'db.url sqlite: needs a path', { setting: 'db.url' });
  let native: SqliteDatabase.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    native = new SqliteDatabase(file);
  } catch (err) {
    throw new KhoaError('KHOA_ERR_STORAGE', `cannot open SQLite file ${file}: ${(err as Error).message}`, { setting: 'db.url', file }, { cause: err });
  }
  // WAL lets /healthz and the CLI read while the hub writes; busy_timeout makes a second
  // process (e.g. `khoa provision` while the hub runs) wait instead of failing at once.
  native.pragma('journal_mode = WAL');
  native.pragma(`busy_timeout = ${Math.floor(settings.busyTimeoutMs)}`);
  native.pragma('foreign_keys = ON');
  // NORMAL in WAL mode: a commit survives a crash of the hub process (what a PUBACK promises
  // in practice) but the last ones may be lost on power failure; FULL would fsync every lock
  // event, milliseconds each on the SD cards small hubs run on.
  native.pragma('synchronous = NORMAL');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(native) }) });
  return {
    kysely,
    native,
    dialect: 'sqlite',
    where: `sqlite:${file}`,
    async ping() {
      await sql`select 1`.execute(kysely);
      return true;
    },
    close: () => kysely.destroy(),
  };
}

// PostgreSQL returns int8 and numeric as strings (they may exceed 2^53); Khoa's int8 columns
// are epoch ms, ids and sequence numbers, all below 2^53, so numbers are safe and match SQLite.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

async function openPostgres(settings: DbSettings): Promise<Db> {
  const url = new URL(settings.url);
  const where = `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${settings.schema ? `#${settings.schema}` : ''}`;
  const schema = settings.schema;
  if (schema) {
    // The schema must exist before the pool's search_path can point at it.
    const client = new pg.Client({ connectionString: settings.url });
    try {
      await client.connect();
      await client.query(`create schema if not exists "${schema}"`);
    } catch (err) {
      throw new KhoaError('KHOA_ERR_STORAGE', `cannot reach PostgreSQL at ${where}: ${(err as Error).message}`, { setting: 'db.url', where }, { cause: err });
    } finally {
      await client.end().catch(() => {});
    }
  }
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: 10,
    types: pgTypes,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  // An idle client losing its connection emits 'error' on the pool; without a listener it would crash the hub.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(kysely);
  } catch (err) {
    await kysely.destroy();
    throw new KhoaError('KHOA_ERR_STORAGE', `cannot reach PostgreSQL at ${where}: ${(err as Error).message}`, { setting: 'db.url', where }, { cause: err });
  }
  return {
    kysely,
    dialect: 'postgres',
    where,
    schema,
    async ping() {
      await sql`select 1`.execute(kysely);
      return true;
    },
    close: () => kysely.destroy(),
  };
}

async function migrate(db: Db): Promise<void> {
  // The migrator looks for its own tables across every schema it can see: without naming ours,
  // another schema's kysely_migration tables (another hub or test run sharing the database)
  // would make it skip creating them here.
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider(db.dialect), ...(db.schema ? { migrationTableSchema: db.schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new KhoaError('KHOA_ERR_STORAGE', `migration ${failed ?? ''} failed: ${(error as Error).message}`, { migration: failed }, { cause: error });
  }
}
