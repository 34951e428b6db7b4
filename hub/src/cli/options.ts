import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KhoaError } from '@khoa/protocol';
import { loadSettings } from '../settings/load.ts';
import type { Settings } from '../settings/schema.ts';
import { openDb, type Db } from '../storage/open.ts';

/** `--config FILE`, accepted by every command that reads the hub's settings. */
export const configOption = { config: { type: 'string' } } as const;

/** parseArgs, with unknown options and bad values turned into a coded error the CLI prints. */
export function parseOptions<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', (err as Error).message, { argv });
  }
}

export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--${name} is required`, { option: name });
  return v;
}

export function settingsFrom(values: { config?: string | undefined }): Settings {
  return loadSettings({ file: values.config });
}

/** Opens the hub's database (migrated) for an admin command, closing it afterwards. */
export async function withDb<T>(settings: Settings, run: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(settings.db, settings.dataDir);
  try {
    return await run(db);
  } finally {
    await db.close();
  }
}
