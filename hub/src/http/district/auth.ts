import type { FastifyReply, FastifyRequest } from 'fastify';
import { KhoaError, type Role } from '@khoa/protocol';
import { looksLikeToken } from '../../accounts/tokens.ts';
import { checkCsrfToken, checkOrigin, SESSION_COOKIE } from '../console/auth-hook.ts';
import { setPrincipal, type DistrictContext } from './context.ts';

/**
 * The officials' onRequest hook: the console's session cookie, its CSRF header on changes,
 * the route's roles. The same rules as the console's hook, in this plugin's own scope.
 */
export function districtAuth(ctx: DistrictContext) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const roles = req.routeOptions.config.roles;
    const token = req.cookies[SESSION_COOKIE];
    const p = looksLikeToken(token) ? await ctx.accounts.resolve(token) : undefined;
    if (!p) throw new KhoaError('KHOA_ERR_HTTP_UNAUTHENTICATED');
    if (!['GET', 'HEAD'].includes(req.method)) {
      checkOrigin(req);
      checkCsrfToken(req, p.csrf);
    }
    if (p.mustChangePassword) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'change the generated password first', { reason: 'must_change_password' });
    if (!Array.isArray(roles) || !(roles as readonly Role[]).includes(p.role)) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', `not allowed for role ${p.role}`, { role: p.role });
    setPrincipal(req, p);
  };
}
