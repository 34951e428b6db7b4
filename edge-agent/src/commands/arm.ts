import type { CommandHandler } from './types.ts';

export const arm: CommandHandler<'arm'> = {
  name: 'arm',
  async handle(p, ctx) {
    const mode = p.mode ?? 'away';
    ctx.state.set({ armed: true, mode, changedAt: ctx.clock.now() });
    ctx.log.info({ mode }, 'armed');
    return { ok: true, state: { armed: true, mode } };
  },
};
