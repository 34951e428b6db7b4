import type { CommandHandler } from './types.ts';

export const disarm: CommandHandler<'disarm'> = {
  name: 'disarm',
  async handle(_p, ctx) {
    ctx.state.set({ armed: false, changedAt: ctx.clock.now() });
    ctx.log.info('disarmed');
    return { ok: true, state: { armed: false } };
  },
};
