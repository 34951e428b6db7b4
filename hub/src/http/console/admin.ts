import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { KhoaError, NewUserBodySchema, QueryInt, type NewUserBody } from '@khoa/protocol';
import { listAudit, writeAudit } from '../../storage/audit-log.ts';
import { createUser } from '../../accounts/index.ts';
import { who, type ConsoleContext } from './context.ts';

const AuditQuery = Type.Object({ before: Type.Optional(QueryInt(16)), limit: Type.Optional(QueryInt(3)), action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,40}$' })) }, { additionalProperties: false });

/** Administration: the privacy audit log (decree 13/2023) and accounts. */
export function adminRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: { before?: string; limit?: string; action?: string } }>('/audit', { schema: { querystring: AuditQuery }, config: { roles: ['admin'] } }, async (req) => {
      const limit = Math.min(Math.max(Number(req.query.limit ?? 100), 1), 500);
      const rows = await listAudit(ctx.db, { before: req.query.before ? Number(req.query.before) : undefined, limit, action: req.query.action });
      const last = rows[rows.length - 1];
      return {
        items: rows.map((r) => ({ id: Number(r.id), at: r.at, username: r.username, role: r.role, action: r.action, target: r.target, householdId: r.household_id, ip: r.ip, detail: r.detail })),
        next: rows.length === limit && last ? String(last.id) : null,
      };
    });

    /** The generated password is in this one response only. */
    app.post<{ Body: NewUserBody }>('/users', { schema: { body: NewUserBodySchema }, config: { roles: ['admin'] } }, async (req, reply) => {
      const p = who(req);
      // An administrator of a subtree creates accounts inside it only.
      if (p.areaId && req.body.areaId && !p.areaIds.has(req.body.areaId)) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', `area ${req.body.areaId} is outside this account's scope`);
      if (req.body.role === 'admin' && p.areaId) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'only an installation administrator makes administrators');
      const { user, password } = await createUser(ctx.db, req.body, ctx.now());
      await writeAudit(ctx.db, { username: p.username, role: p.role, action: 'user.add', target: `user:${user.username}`, ip: req.ip, detail: user.role }, ctx.now());
      return reply.code(201).header('cache-control', 'no-store').send({ username: user.username, role: user.role, password });
    });

    app.get('/users', { config: { roles: ['admin'] } }, async (req) => {
      const p = who(req);
      let q = ctx.db
        .selectFrom('users')
        .leftJoin('households', 'households.id', 'users.household_id')
        .select(['users.username', 'users.display_name', 'users.role', 'users.area_id', 'users.household_id', 'users.disabled', 'users.created_at'])
        .orderBy('users.username');
      // An administrator of a subtree sees the accounts inside it only.
      if (p.areaId) {
        const areas = [...p.areaIds];
        q = q.where((eb) => eb.or([eb('users.area_id', 'in', areas), eb('households.area_id', 'in', areas)]));
      }
      const rows = await q.execute();
      return { items: rows.map((u) => ({ username: u.username, displayName: u.display_name, role: u.role, areaId: u.area_id, householdId: u.household_id, disabled: u.disabled === 1, createdAt: u.created_at })) };
    });
  };
}
