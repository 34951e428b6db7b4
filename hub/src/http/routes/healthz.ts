import type { FastifyPluginAsync } from 'fastify';
import type { HttpDeps } from '../deps.ts';

/** GET /healthz: 200 when the broker is up and the database answers, 503 otherwise. */
export const healthz = (deps: HttpDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', async (_req, reply) => {
      const broker = { up: !deps.broker().closed, clients: deps.broker().connectedClients };
      let db: { up: boolean; dialect: string; error?: string };
      try {
        db = { up: await deps.db.ping(), dialect: deps.db.dialect };
      } catch (err) {
        db = { up: false, dialect: deps.db.dialect, error: (err as Error).message };
      }
      const ok = broker.up && db.up;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', broker, db });
    });
  };
