import { spawn } from 'node:child_process';
import type { CommandHandler } from './types.ts';

/**
 * Restarts the device with the command the deployment configured (the agent itself has no
 * right to reboot a Pi). Without one, the request is refused so the hub does not believe
 * a reboot happened.
 */
export const reboot: CommandHandler<'reboot'> = {
  name: 'reboot',
  async handle(_p, ctx) {
    const argv = ctx.hooks.rebootCommand;
    const [file, ...args] = argv ?? [];
    if (!file) {
      ctx.log.warn('reboot requested but no reboot command is configured');
      return { ok: false, error: 'no reboot command configured on this agent' };
    }
    ctx.log.warn({ command: argv }, 'reboot requested by the hub');
    return {
      ok: true,
      state: { rebooting: true },
      after: () => {
        const child = spawn(file, args, { stdio: 'ignore', detached: true });
        child.on('error', (err) => ctx.log.error({ err }, 'reboot command failed'));
        child.unref();
      },
    };
  },
};
