import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { httpStatusOf, isKhoaError } from '@khoa/protocol';
import { databaseBusyError } from '../storage/busy.ts';
import type { Logger } from '../log.ts';
import { listenError } from '../broker/listen.ts';
import type { HttpDeps } from './deps.ts';
import { routes } from './routes/index.ts';

export interface HttpServer {
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

/** The fastify server with every route of routes/index.ts; KhoaErrors map to their HTTP status. */
export async function startHttp(deps: HttpDeps, opts: { host: string; port: number; log: Logger }): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: opts.log.child({ subsystem: 'http' }) as FastifyBaseLogger,
    // Probes and Prometheus scrapes every few seconds would drown the log.
    logController: new LogController({ disableRequestLogging: (req) => req.url === '/healthz' || req.url === '/metrics' }),
  });
  app.setErrorHandler((err, _req, reply) => {
    if (isKhoaError(err)) return reply.code(httpStatusOf[err.code] ?? 500).send(err.toJSON());
    const busy = databaseBusyError(err);
    if (busy) return reply.code(503).header('retry-after', '1').send(busy.toJSON());
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) opts.log.error({ err }, 'HTTP handler failed');
    return reply.code(status).send({ code: status >= 500 ? 'KHOA_ERR_INTERNAL' : 'KHOA_ERR_HTTP_BAD_REQUEST', message: status >= 500 ? 'internal error' : (err as Error).message });
  });
  for (const route of routes) await app.register(route(deps));
  await app.ready();
  // A taken port becomes KHOA_ERR_PORT_IN_USE naming http.port / KHOA_HTTP_PORT, like the broker's.
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    throw listenError(err as NodeJS.ErrnoException, 'http.port', opts.host, opts.port);
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { app, port, close: () => app.close() };
}
