import type { TSchema } from '@sinclair/typebox';
import { commandValidators, KhoaError, parseJsonPayload, parseTopic, type CommandName, type CommandPayloads, type CommandReply, type DeviceRef, type Result, type Validator } from '@khoa/protocol';
import { advisory } from './advisory.ts';
import { arm } from './arm.ts';
import { config } from './config.ts';
import { disarm } from './disarm.ts';
import { reboot } from './reboot.ts';
import { snapshot } from './snapshot.ts';
import type { CommandContext, CommandHandler } from './types.ts';

export type { CommandContext, CommandHooks, RuntimeSettings } from './types.ts';

/** The dispatch table: one handler per command name of the protocol. */
export const commandHandlers: { [N in CommandName]: CommandHandler<N> } = { arm, disarm, snapshot, reboot, config, advisory };

/** Commands are small JSON; anything bigger is refused before parsing. */
const MAX_COMMAND_BYTES = 16 * 1024;

export interface CommandOutcome {
  /** Where to reply, or null when the message could not be tied to a command of this device. */
  command: CommandName | null;
  reply: CommandReply | null;
  /** Set when the message was refused before any handler ran. */
  rejected?: { reason: 'topic' | 'payload'; error: KhoaError };
  after?: () => void;
}

/** Best effort to echo a transaction from a payload that failed its schema, so the hub can match the refusal. */
function salvageTransaction(payload: Buffer): string {
  if (payload.byteLength <= MAX_COMMAND_BYTES) {
    try {
      const t = (JSON.parse(payload.toString('utf8')) as { transaction?: unknown } | null)?.transaction;
      if (typeof t === 'string' && t.length >= 1 && t.length <= 64) return t;
    } catch {
      // not JSON: nothing to salvage
    }
  }
  return 'unknown';
}

/**
 * Handles one message from `…/cmd/#`. Never throws: a bad topic or payload, or a handler that
 * fails, becomes a refusal for the caller to count, log and (where possible) reply to.
 */
export async function handleCommand(self: DeviceRef, topic: string, payload: Buffer, ctx: CommandContext): Promise<CommandOutcome> {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.kind !== 'cmd' || parsed.deviceId !== self.deviceId || parsed.householdId !== self.householdId) {
    return { command: null, reply: null, rejected: { reason: 'topic', error: new KhoaError('KHOA_ERR_TOPIC_INVALID', topic.slice(0, 200)) } };
  }
  const name = parsed.command;
  // The union of the six validators is too wide for TypeScript; every schema has `transaction`.
  const validator = commandValidators[name] as Validator<TSchema>;
  const checked = parseJsonPayload(validator, payload, MAX_COMMAND_BYTES) as Result<CommandPayloads[CommandName]>;
  if (!checked.ok) {
    return {
      command: name,
      reply: { transaction: salvageTransaction(payload), ok: false, error: checked.error.message.slice(0, 500) },
      rejected: { reason: 'payload', error: checked.error },
    };
  }
  const handler = commandHandlers[name] as CommandHandler<CommandName>;
  try {
    const r = await handler.handle(checked.value as never, ctx);
    const reply: CommandReply = { transaction: checked.value.transaction, ok: r.ok };
    if (r.error) reply.error = r.error.slice(0, 500);
    if (r.state) reply.state = r.state;
    return { command: name, reply, ...(r.after ? { after: r.after } : {}) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log.error({ err, command: name }, 'command handler failed');
    return { command: name, reply: { transaction: checked.value.transaction, ok: false, error: message.slice(0, 500) } };
  }
}
