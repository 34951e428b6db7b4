import type { FastifyPluginAsync } from 'fastify';
import type { HttpDeps } from '../deps.ts';

/** GET /metrics: Prometheus text format from the hub's own registry. */
export const metrics = (deps: HttpDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/metrics', async (_req, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.header('content-type', deps.metrics.registry.contentType).send(body);
    });
  };
