import { KhoaError, ROLES, type Role } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import { createUser, resetPassword } from '../../accounts/index.ts';
import { consoleDb } from '../../storage/console-tables.ts';
import { writeAudit } from '../../storage/audit-log.ts';

const usage = `usage: khoa user add --username U --role ROLE (--area ID | --household ID) [--name "Full name"] [--config FILE]
       khoa user reset --username U [--config FILE]

Console accounts. ROLE is one of: ${ROLES.join(', ')}. Officers and officials see the
subtree of --area; a household account sees only --household. --area ROOT makes an
administrator of the whole installation (for the first admin, before any area exists).

The password is generated and printed once on stdout; only its argon2id hash is stored, and
it must be changed at first sign-in. There is no default password and no way to choose one
here. "reset" prints a new one and ends the account's sessions.`;

export const user: CliCommand = {
  name: 'user',
  summary: 'add a console account or reset its password (prints a generated password once)',
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      { ...configOption, username: { type: 'string' }, role: { type: 'string' }, area: { type: 'string' }, household: { type: 'string' }, name: { type: 'string' } },
      true,
    );
    const action = positionals[0];
    const username = required(values, 'username');
    const settings = settingsFrom(values);
    if (action === 'add') {
      const role = required(values, 'role');
      if (!(ROLES as readonly string[]).includes(role)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--role must be one of ${ROLES.join(', ')}`, { option: 'role' });
      const { password } = await withDb(settings, async (db) => {
        const cdb = consoleDb(db.kysely);
        const r = await createUser(cdb, { username, role: role as Role, displayName: values.name, areaId: values.area, householdId: values.household });
        await writeAudit(cdb, { username: 'cli', role: 'admin', action: 'user.add', target: `user:${username}`, detail: role });
        return r;
      });
      console.log(`user ${username} (${role}) added. Password, shown once; it must be changed at first sign-in:\n${password}`);
      return 0;
    }
    if (action === 'reset') {
      const password = await withDb(settings, async (db) => {
        const cdb = consoleDb(db.kysely);
        const p = await resetPassword(cdb, username);
        await writeAudit(cdb, { username: 'cli', role: 'admin', action: 'user.reset', target: `user:${username}` });
        return p;
      });
      console.log(`new password for ${username}, shown once:\n${password}`);
      return 0;
    }
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'expected "khoa user add" or "khoa user reset"', {});
  },
};
