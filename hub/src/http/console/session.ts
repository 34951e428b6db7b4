import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isKhoaError, LoginBodySchema, PasswordChangeBodySchema, type LoginBody, type PasswordChangeBody, type SessionInfo } from '@khoa/protocol';
import type { Principal } from '../../accounts/index.ts';
import { getArea } from '../../storage/areas.ts';
import { hubDb } from '../../storage/console-tables.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from './auth-hook.ts';
import { who, type ConsoleContext } from './context.ts';

/**
 * Secure cookies when the page was reached over HTTPS: directly, or through a TLS proxy that
 * says so in X-Forwarded-Proto (nginx with `proxy_set_header X-Forwarded-Proto $scheme`,
 * Caddy by default). Over plain HTTP, e.g. a commune station opening the hub by its LAN
 * address, a browser drops a Secure cookie without a word and the officer could never stay
 * signed in; there the password itself crosses in clear anyway, and the login page says so.
 * A client that forges the header only makes its own browser drop the cookie.
 */
function cookieOptions(req: FastifyRequest, httpOnly: boolean, expiresAt: number) {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  const secure = req.protocol === 'https' || forwarded === 'https';
  return { path: '/', httpOnly, sameSite: 'strict' as const, secure, expires: new Date(expiresAt) };
}

async function info(ctx: ConsoleContext, p: Principal): Promise<SessionInfo> {
  const area = p.areaId ? await getArea(hubDb(ctx.db), p.areaId) : undefined;
  return { username: p.username, displayName: p.displayName, role: p.role, areaId: p.areaId, areaName: area?.name ?? null, householdId: p.householdId, csrf: p.csrf, mustChangePassword: p.mustChangePassword };
}

function setCookies(req: FastifyRequest, reply: FastifyReply, token: string, p: Principal, expiresAt: number): void {
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(req, true, expiresAt));
  // Readable by the page's script, which echoes it in the x-khoa-csrf header.
  reply.setCookie(CSRF_COOKIE, p.csrf, cookieOptions(req, false, expiresAt));
}

/** Login, logout, who am I, password change. */
export function sessionRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: LoginBody }>('/login', { schema: { body: LoginBodySchema }, config: { roles: 'public' } }, async (req, reply) => {
      let result: Awaited<ReturnType<typeof ctx.accounts.login>>;
      try {
        result = await ctx.accounts.login(req.body.username, req.body.password, req.ip);
      } catch (err) {
        ctx.metrics.logins.inc({ result: isKhoaError(err, 'KHOA_ERR_HTTP_RATE_LIMITED') ? 'rate_limited' : 'refused' });
        throw err;
      }
      ctx.metrics.logins.inc({ result: 'ok' });
      const { token, principal, cookieExpiresAt } = result;
      setCookies(req, reply, token, principal, cookieExpiresAt);
      return info(ctx, principal);
    });

    app.get('/session', { config: { roles: ['household', 'officer', 'official', 'admin'] } }, async (req) => info(ctx, who(req)));

    app.post('/logout', { config: { roles: ['household', 'officer', 'official', 'admin'] } }, async (req, reply) => {
      await ctx.accounts.logout(who(req));
      ctx.live.endSession(who(req).tokenHash);
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
      return { ok: true };
    });

    app.post<{ Body: PasswordChangeBody }>('/password', { schema: { body: PasswordChangeBodySchema }, config: { roles: ['household', 'officer', 'official', 'admin'] } }, async (req) => {
      await ctx.accounts.changePassword(who(req), req.body.currentPassword, req.body.newPassword, req.ip);
      return { ok: true };
    });
  };
}
