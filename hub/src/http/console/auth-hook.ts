import type { FastifyReply, FastifyRequest } from 'fastify';
import { KhoaError } from '@khoa/protocol';
import { looksLikeToken, sameToken } from '../../accounts/tokens.ts';
import type { ConsoleContext } from './context.ts';

export const SESSION_COOKIE = 'khoa_session';
export const CSRF_COOKIE = 'khoa_csrf';
export const CSRF_HEADER = 'x-khoa-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A request that changes something must come from a page of this hub: when the browser sends an
 * Origin it must be this host (a cross-site form or fetch never passes), and the CSRF token of the
 * session must come back in a custom header, which a cross-site page can neither read nor set
 * without a CORS preflight this server never grants.
 */
export function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'bad Origin header', { reason: 'csrf' });
  }
  if (host !== req.headers.host) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'cross-site request refused', { reason: 'csrf' });
}

/** The session's CSRF token must come back in the custom header on every change. */
export function checkCsrfToken(req: FastifyRequest, expected: string): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameToken(sent, expected)) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'missing or wrong CSRF token', { reason: 'csrf' });
}

/** The console's onRequest hook: session from the cookie, CSRF on changes, role from the route's config. */
export function authHook(ctx: ConsoleContext) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    req.principal = null;
    const roles = req.routeOptions.config.roles;
    const changing = !SAFE_METHODS.has(req.method);
    if (changing) checkOrigin(req);
    // No route matched: the 404 says nothing about any account's data, so it needs no session.
    if (roles === 'public' || !req.routeOptions.url) return;
    const token = req.cookies[SESSION_COOKIE];
    const p = looksLikeToken(token) ? await ctx.accounts.resolve(token) : undefined;
    if (!p) throw new KhoaError('KHOA_ERR_HTTP_UNAUTHENTICATED');
    if (changing) checkCsrfToken(req, p.csrf);
    req.principal = p;
    // A generated password must be replaced before anything else is done with the account.
    const path = req.routeOptions.url ?? '';
    if (p.mustChangePassword && !['/session', '/password', '/logout'].some((x) => path.endsWith(x))) {
      throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'change the generated password first', { reason: 'must_change_password' });
    }
    if (!roles || !roles.includes(p.role)) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', `not allowed for role ${p.role}`, { role: p.role });
  };
}
