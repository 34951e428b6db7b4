import type { FastifyPluginAsync } from 'fastify';
import { who, type ConsoleContext } from './context.ts';
import type { LiveSubscriber } from './live.ts';

/** Comment lines keep proxies and NAT boxes from closing an idle stream. */
const HEARTBEAT_MS = 20_000;

/**
 * Unsent bytes one stream may hold in the hub before it is dropped (about a thousand alerts).
 * A client that stops reading (a frozen tab, a dead link the kernel has not noticed) would
 * otherwise keep every later alert in the hub's memory. Dropping loses nothing: EventSource
 * reconnects and the page reloads the list.
 */
export const STREAM_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `GET /api/alerts/stream`: server-sent events for the signed-in account's scope. `alert` is a
 * new alert, `update` a workflow step on one. EventSource reconnects by itself; the page then
 * reloads the list, so nothing missed during a gap stays missing.
 */
export function streamRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/alerts/stream', { config: { roles: ['officer', 'household'] } }, async (req, reply) => {
      const p = who(req);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'private, no-store',
        connection: 'keep-alive',
        // nginx would otherwise buffer the stream and deliver alerts late.
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 3000\n: hello ${p.username}\n\n`);
      const sub: LiveSubscriber = {
        principal: p,
        send(event, data) {
          if (res.destroyed || res.writableEnded) return false;
          if (res.writableLength > STREAM_MAX_BUFFERED_BYTES) {
            ctx.metrics.streamsDropped.inc({ reason: 'slow' });
            ctx.log.warn({ username: p.username, buffered: res.writableLength }, 'live stream dropped: the client is not reading');
            res.destroy();
            return false;
          }
          res.write(`event: ${event}\nid: ${data.id}\ndata: ${JSON.stringify(data)}\n\n`);
          return true;
        },
        close: () => res.end(),
      };
      const remove = ctx.live.add(sub);
      const untrack = ctx.metrics.trackStreamBuffer(() => res.writableLength);
      const beat = setInterval(() => {
        // A logged-out or expired session loses its stream at the next beat.
        // (Resolving also keeps the session alive while the console stays open on duty.)
        void ctx.accounts.resolve(req.cookies.khoa_session ?? '').then((still) => {
          if (!still) return res.end();
          sub.principal = still;
          res.write(': beat\n\n');
        }, () => res.end());
      }, HEARTBEAT_MS);
      beat.unref();
      const done = () => {
        clearInterval(beat);
        remove();
        untrack();
      };
      res.on('close', done);
      res.on('error', done);
    });
  };
}
