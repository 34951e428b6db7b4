import type { CommandHandler } from './types.ts';

/** Asks the camera provider that owns the camera for one frame now; the frame goes out on `…/cam/{id}/frame`. */
export const snapshot: CommandHandler<'snapshot'> = {
  name: 'snapshot',
  async handle(p, ctx) {
    const provider = ctx.cameras.find((c) => c.cameras().some((cam) => cam.id === p.cameraId));
    if (!provider) return { ok: false, error: `unknown camera ${p.cameraId}` };
    if (!provider.snapshot) return { ok: false, error: `camera ${p.cameraId} does not take snapshots` };
    await provider.snapshot(p.cameraId);
    return { ok: true, state: { cameraId: p.cameraId } };
  },
};
