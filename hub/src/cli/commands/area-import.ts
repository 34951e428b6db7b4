import { readFileSync, statSync } from 'node:fs';
import { KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, settingsFrom, withDb } from '../options.ts';
import { importAreas, AREA_COLUMNS, type RowError } from '../../coverage/area-import.ts';
import { coverageDb } from '../../storage/coverage-tables.ts';
import { CSV_LIMITS } from '../../coverage/csv.ts';
import { parseLocalDate } from '../../coverage/periods.ts';

const usage = `usage: khoa area import FILE.csv [--from YYYY-MM-DD] [--config FILE]

Imports the area tree and its census figures from CSV (UTF-8, header row):
  ${AREA_COLUMNS.join(',')}
id, parent_id (empty for a root), level and name are required; kind is urban, rural or empty;
households is the census count of the area itself, on the lowest level known; residential
areas and agencies (agencies, enterprises, schools) with how many have cameras.
Every row is checked first; one bad row refuses the whole file, with line, column and reason.
Changed areas get a new version from --from (default now); earlier reports stay as they were.`;

export const areaImport: CliCommand = {
  name: 'area-import',
  summary: 'import the area tree and census counts from CSV',
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { ...configOption, from: { type: 'string' } }, true);
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'expected one CSV file', { argv });
    let bytes: Buffer;
    try {
      // Checked before reading: a 5 GB file must not be pulled into memory to be refused.
      const size = statSync(file).size;
      if (size > CSV_LIMITS.maxBytes) throw new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `${file} is ${size} bytes, more than ${CSV_LIMITS.maxBytes}`, { file, bytes: size });
      bytes = readFileSync(file);
    } catch (err) {
      if (err instanceof KhoaError) throw err;
      throw new KhoaError('KHOA_ERR_CONFIG_FILE', `cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    const at = values.from ? parseLocalDate(values.from, 'from') : Date.now();
    try {
      const r = await withDb(settingsFrom(values), (db) => importAreas(coverageDb(db.kysely), bytes, at));
      console.log(`areas: ${r.added} added, ${r.changed} changed, ${r.unchanged} unchanged`);
      return 0;
    } catch (err) {
      const errors = (err as KhoaError).context?.errors as RowError[] | undefined;
      if (!Array.isArray(errors)) throw err;
      // One line per problem, so a clerk can fix the spreadsheet in one pass.
      console.error(`${file}: nothing imported, ${errors.length} error(s):`);
      for (const e of errors) console.error(`  line ${e.row}${e.column ? `, column ${e.column}` : ''}: ${e.reason}`);
      return 1;
    }
  },
};
