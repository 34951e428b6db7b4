import type { CommandPayloads } from '@khoa/protocol';
import type { CommandHandler } from './types.ts';

export type AdvisoryPayload = CommandPayloads['advisory'];

/**
 * A commune advisory (seed 003, "loa thanh niên"). The agent has no speaker of its own: it logs
 * the advisory and hands it to the deployment's `onAdvisory` hook, and says in the reply
 * whether anything played it.
 */
export const advisory: CommandHandler<'advisory'> = {
  name: 'advisory',
  async handle(p, ctx) {
    if (p.expiresAt && Date.parse(p.expiresAt) < ctx.clock.now()) {
      return { ok: false, error: 'advisory has expired' };
    }
    ctx.log.info({ advisoryId: p.advisoryId, title: p.title, lang: p.lang }, 'advisory received');
    const hook = ctx.hooks.onAdvisory;
    if (hook) await hook(p);
    return { ok: true, state: { advisoryId: p.advisoryId, delivered: hook !== undefined } };
  },
};
