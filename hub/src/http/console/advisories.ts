import type { FastifyPluginAsync } from 'fastify';
import { AdvisoryBodySchema, KhoaError, type AdvisoryBody } from '@khoa/protocol';
import { agentsInAreas, insertAdvisory, listAdvisories } from '../../storage/advisories.ts';
import { areaAncestors, areaSubtree } from '../../storage/area-tree.ts';
import { getHousehold } from '../../storage/households.ts';
import { hubDb } from '../../storage/console-tables.ts';
import { publishCommand } from '../../commands/send-command.ts';
import { who, type ConsoleContext } from './context.ts';
import { requireArea } from './scope.ts';

const WEEK_H = 24 * 7;

/**
 * Advisories (seed 003 "Loa thanh niên"): police write one for an area of their scope; the
 * households below see it on their page and their agents get `…/cmd/advisory` for a speaker
 * or a screen.
 */
export function advisoryRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: AdvisoryBody }>('/advisories', { schema: { body: AdvisoryBodySchema }, config: { roles: ['officer'] } }, async (req, reply) => {
      const p = who(req);
      const b = req.body;
      requireArea(p, b.areaId);
      const now = ctx.now();
      const expiresAt = now + (b.hours ?? WEEK_H) * 3600_000;
      const lang = b.lang ?? 'vi';
      const id = await insertAdvisory(ctx.db, { areaId: b.areaId, title: b.title, body: b.body, lang, createdBy: p.username, expiresAt }, now);
      const agents = await agentsInAreas(ctx.db, await areaSubtree(ctx.db, b.areaId));
      let sent = 0;
      for (const a of agents) {
        try {
          await publishCommand(ctx.broker(), a, 'advisory', { advisoryId: String(id), title: b.title, body: b.body, lang, expiresAt: new Date(expiresAt).toISOString() });
          sent++;
        } catch (err) {
          ctx.log.warn({ err, deviceId: a.deviceId, advisoryId: id }, 'advisory not published');
        }
      }
      return reply.code(201).send({ id, agents: sent });
    });

    app.get('/advisories', { config: { roles: ['officer', 'household'] } }, async (req) => {
      const p = who(req);
      let areas: string[];
      if (p.role === 'household') {
        const h = await getHousehold(hubDb(ctx.db), p.householdId ?? '');
        if (!h) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', p.householdId ?? '');
        areas = await areaAncestors(ctx.db, h.area_id);
      } else areas = [...p.areaIds];
      const rows = await listAdvisories(ctx.db, areas, { limit: 50, ...(p.role === 'household' ? { activeAt: ctx.now() } : {}) });
      return { items: rows.map((a) => ({ id: Number(a.id), areaId: a.area_id, areaName: a.area_name, title: a.title, body: a.body, lang: a.lang, createdBy: a.created_by, createdAt: a.created_at, expiresAt: a.expires_at })) };
    });

    /** Areas an officer may address: its scope, for the form's picker. */
    app.get('/areas', { config: { roles: ['officer', 'official'] } }, async (req) => {
      const p = who(req);
      const rows = await ctx.db.selectFrom('areas').select(['id', 'name', 'level', 'parent_id']).where('id', 'in', [...p.areaIds, '']).orderBy('name').execute();
      return { items: rows.map((a) => ({ id: a.id, name: a.name, level: a.level, parentId: a.parent_id })) };
    });
  };
}
