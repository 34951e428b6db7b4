import type { FastifyPluginAsync } from 'fastify';
import { areaStats } from '../../storage/area-stats.ts';
import { who, type ConsoleContext } from './context.ts';

const QUARTER_MS = 91 * 86_400_000;

/** Aggregates of the account's subtree over the last quarter; no names, addresses or images. */
export function statsRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/stats', { config: { roles: ['official', 'officer', 'admin'] } }, async (req) => {
      const p = who(req);
      const now = ctx.now();
      const areas = p.role === 'admin' && p.areaId === null ? null : [...p.areaIds];
      return { areaId: p.areaId, since: now - QUARTER_MS, ...(await areaStats(ctx.db, areas, now, now - QUARTER_MS)) };
    });
  };
}
