import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { publicDir } from '@khoa/dashboards';
import type { HttpDeps } from './deps.ts';

/**
 * Same-origin only: the pages load nothing from elsewhere, so a strict policy costs nothing and
 * keeps an injected script from running or from sending a snapshot anywhere.
 */
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Serves dashboards/public (login, police console, household page, …) at the root. */
export function pages(_deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    await app.register(async (scope) => {
      scope.addHook('onSend', async (_req, reply, payload) => {
        reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('x-frame-options', 'DENY');
        return payload;
      });
      await scope.register(fastifyStatic, { root: publicDir, index: 'index.html', cacheControl: true, maxAge: 60_000, wildcard: true });
    });
  };
}
