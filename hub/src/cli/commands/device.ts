import { KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import { revokeDevice } from '../../storage/devices.ts';

const usage = `usage: khoa device revoke --device ID [--config FILE]

Revokes a device's credentials. A running hub refuses its next connection and closes the
current one within one rules tick (settings rules.tickMs).`;

export const device: CliCommand = {
  name: 'device',
  summary: "revoke a device's credentials",
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { ...configOption, device: { type: 'string' } }, true);
    if (positionals[0] !== 'revoke') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'expected "khoa device revoke"', {});
    const id = required(values, 'device');
    const found = await withDb(settingsFrom(values), (db) => revokeDevice(db.kysely, id));
    if (!found) throw new KhoaError('KHOA_ERR_DEVICE_UNKNOWN', id, { deviceId: id });
    console.log(`device ${id} revoked`);
    return 0;
  },
};
