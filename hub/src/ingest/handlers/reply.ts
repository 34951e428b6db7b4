import { commandReplyValidator } from '@khoa/protocol';
import { setArmed } from '../../storage/households.ts';
import { parsePayload } from '../payload.ts';
import type { Handler } from '../context.ts';

/** `…/reply/{command}`: the agent's answer to a hub command, echoing its transaction id. */
export const handleReply: Handler<'reply'> = async (ctx, msg) => {
  const reply = parsePayload(commandReplyValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  const cmd = msg.topic.command;
  if (reply.ok && (cmd === 'arm' || cmd === 'disarm')) {
    // Trust the agent's reported state over the command sent: it is what the house really is.
    const armed = typeof reply.state?.armed === 'boolean' ? reply.state.armed : cmd === 'arm';
    await setArmed(ctx.db, msg.who.householdId, armed);
  }
  msg.log.info({ command: cmd, transaction: reply.transaction, ok: reply.ok, error: reply.error }, 'command reply');
};
