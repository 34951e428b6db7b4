import { isValidId, KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import { addHousehold } from '../../storage/households.ts';

const usage = `usage: khoa household add --id ID --area AREA --address TEXT [--night HH:MM-HH:MM] [--timezone TZ] [--config FILE]

Adds a household under an area of the tree. --night is the household's night (default
22:00-05:30), used by the lock-left-unlocked-at-night rule; --timezone defaults to Asia/Ho_Chi_Minh.`;

export const household: CliCommand = {
  name: 'household',
  summary: 'add a household to an area',
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { ...configOption, id: { type: 'string' }, area: { type: 'string' }, address: { type: 'string' }, night: { type: 'string' }, timezone: { type: 'string' } }, true);
    if (positionals[0] !== 'add') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'expected "khoa household add"', {});
    const id = required(values, 'id');
    if (!isValidId(id)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--id ${JSON.stringify(id)}: lower-case letters, digits, _ and -`, { option: 'id' });
    const [nightStart, nightEnd] = values.night ? values.night.split('-') : [undefined, undefined];
    await withDb(settingsFrom(values), (db) =>
      addHousehold(db.kysely, { id, areaId: required(values, 'area'), address: required(values, 'address'), nightStart, nightEnd, timezone: values.timezone }),
    );
    console.log(`household ${id} added`);
    return 0;
  },
};
