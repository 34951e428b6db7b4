import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Id } from '../ids.ts';
import { compile, type Validator } from '../validate.ts';
import type { CommandName } from '../topics.ts';

/** Every command carries a transaction id that the agent echoes in `…/reply/{name}`. */
const Transaction = Type.String({ minLength: 1, maxLength: 64 });

export const commandSchemas = {
  arm: Type.Object({ transaction: Transaction, mode: Type.Optional(Type.Union([Type.Literal('away'), Type.Literal('home')])) }, { additionalProperties: false }),
  disarm: Type.Object({ transaction: Transaction }, { additionalProperties: false }),
  snapshot: Type.Object({ transaction: Transaction, cameraId: Id }, { additionalProperties: false }),
  reboot: Type.Object({ transaction: Transaction }, { additionalProperties: false }),
  config: Type.Object({ transaction: Transaction, settings: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()) }, { additionalProperties: false }),
  advisory: Type.Object(
    {
      transaction: Transaction,
      advisoryId: Type.String({ minLength: 1, maxLength: 64 }),
      title: Type.String({ minLength: 1, maxLength: 200 }),
      body: Type.String({ minLength: 1, maxLength: 4000 }),
      lang: Type.Optional(Type.String({ maxLength: 8 })),
      /** ISO time after which a speaker or screen should no longer play it. */
      expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
    },
    { additionalProperties: false },
  ),
} satisfies Record<CommandName, TSchema>;

export type CommandPayloads = { [K in CommandName]: Static<(typeof commandSchemas)[K]> };

export const commandValidators = Object.fromEntries(
  Object.entries(commandSchemas).map(([name, schema]) => [name, compile(schema)]),
) as { [K in CommandName]: Validator<(typeof commandSchemas)[K]> };

/** `…/reply/{name}`: the agent's answer to a command. */
export const CommandReplySchema = Type.Object(
  {
    transaction: Transaction,
    ok: Type.Boolean(),
    error: Type.Optional(Type.String({ maxLength: 500 })),
    /** State after the command, e.g. `{ armed: true }`. */
    state: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown())),
  },
  { $id: 'CommandReply', additionalProperties: false },
);
export type CommandReply = Static<typeof CommandReplySchema>;
export const commandReplyValidator = compile(CommandReplySchema);
