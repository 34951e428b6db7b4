import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The two real databases every storage test runs against: a SQLite file in a fresh temp dir
 * and the machine's PostgreSQL (127.0.0.1:5432, database `test`, trust auth) in a schema made
 * for this run and dropped afterwards. Set KHOA_TEST_PG_URL to point elsewhere.
 */
export const PG_URL = process.env.KHOA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDbTarget {
  name: 'sqlite' | 'postgres';
  /** Settings fragment for `db`, and a data dir to use. */
  make(): { dataDir: string; db: { url: string; schema?: string; busyTimeoutMs: number }; cleanup(): Promise<void> };
}

export function tempDir(prefix = 'khoa-hub-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const dbTargets: TestDbTarget[] = [
  {
    name: 'sqlite',
    make() {
      const dataDir = tempDir();
      return { dataDir, db: { url: '', busyTimeoutMs: 5000 }, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    make() {
      const dataDir = tempDir();
      const schema = `khoa_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      return {
        dataDir,
        db: { url: PG_URL, schema, busyTimeoutMs: 5000 },
        async cleanup() {
          rmSync(dataDir, { recursive: true, force: true });
          const client = new pg.Client({ connectionString: PG_URL });
          await client.connect();
          await client.query(`drop schema if exists "${schema}" cascade`);
          await client.end();
        },
      };
    },
  },
];
