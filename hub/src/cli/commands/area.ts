import { isValidId, KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import { addArea } from '../../storage/areas.ts';
import { areaImport } from './area-import.ts';

const usage = `usage: khoa area add --id ID --level LEVEL --name NAME [--parent ID] [--kind urban|rural] [--config FILE]

Adds a node to the area tree (province, district, commune, village, ...). The tree has any
depth; --level is a label. --kind marks urban or rural areas (coverage targets differ).

${areaImport.usage}`;

export const area: CliCommand = {
  name: 'area',
  summary: 'add a node to the area tree',
  usage,
  async run(argv) {
    if (argv[0] === 'import') return areaImport.run(argv.slice(1));
    const { values, positionals } = parseOptions(argv, { ...configOption, id: { type: 'string' }, level: { type: 'string' }, name: { type: 'string' }, parent: { type: 'string' }, kind: { type: 'string' } }, true);
    if (positionals[0] !== 'add') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'expected "khoa area add"', {});
    const id = required(values, 'id');
    if (!isValidId(id)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--id ${JSON.stringify(id)}: lower-case letters, digits, _ and -`, { option: 'id' });
    const kind = values.kind;
    if (kind !== undefined && kind !== 'urban' && kind !== 'rural') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--kind must be urban or rural', { option: 'kind' });
    await withDb(settingsFrom(values), (db) => addArea(db.kysely, { id, level: required(values, 'level'), name: required(values, 'name'), parentId: values.parent, kind }));
    console.log(`area ${id} added`);
    return 0;
  },
};
