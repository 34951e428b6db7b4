import type SqliteDatabase from 'better-sqlite3';

/**
 * Kysely's SQLite driver calls `prepare` for every query; compiling the same few statements
 * again for each lock event was a tenth of the hub's CPU under load. better-sqlite3 runs a
 * statement to completion synchronously, so one prepared statement per SQL text can be shared.
 * The cache is bounded because ad-hoc queries (console filters) produce many distinct texts.
 */
export function withStatementCache(native: SqliteDatabase.Database, max = 256): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = (source: string): SqliteDatabase.Statement => {
    let stmt = cache.get(source);
    if (stmt) {
      // Refresh its place: Map keeps insertion order, so the first key is the least recently used.
      cache.delete(source);
    } else {
      stmt = native.prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, stmt);
    return stmt;
  };
  return new Proxy(native, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
