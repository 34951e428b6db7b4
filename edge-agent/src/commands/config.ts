import { Type } from '@sinclair/typebox';
import { compile } from '@khoa/protocol';
import type { CommandHandler } from './types.ts';

/**
 * The few settings the hub may change at runtime; anything else (credentials, hub URL, locks)
 * needs a new config file from provisioning. Not persisted: a restart goes back to the file.
 */
const SettingsSchema = Type.Object(
  {
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    logLevel: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)))),
  },
  { additionalProperties: false },
);
const settingsValidator = compile(SettingsSchema);

export const config: CommandHandler<'config'> = {
  name: 'config',
  async handle(p, ctx) {
    const r = settingsValidator.check(p.settings);
    if (!r.ok) return { ok: false, error: `unsupported setting: ${r.error.message}` };
    ctx.applySettings(r.value);
    ctx.log.info({ settings: r.value }, 'runtime settings changed by the hub');
    return { ok: true, state: { ...r.value } };
  },
};
