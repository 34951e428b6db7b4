import type { FastifyPluginAsync } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { KhoaError } from '@khoa/protocol';
import { Accounts, DEFAULT_ACCOUNT_SETTINGS, type AccountSettings } from '../../accounts/index.ts';
import { createAlertRaiser, type RaiseAlert } from '../../alerts/raise.ts';
import { createCommandSender, type SendCommand } from '../../commands/send-command.ts';
import { consoleDb } from '../../storage/console-tables.ts';
import { validateSettings } from '../../settings/load.ts';
import type { Settings } from '../../settings/schema.ts';
import { createLogger, type Logger } from '../../log.ts';
import type { HttpDeps } from '../deps.ts';
import { authHook } from './auth-hook.ts';
import type { ConsoleContext } from './context.ts';
import { ConsoleLive } from './live.ts';
import { SharedFrames } from './shared-frames.ts';
import { consoleRoutes } from './routes.ts';
import { OpenApiCollector } from './openapi.ts';
import { consoleMetrics } from './metrics.ts';
import { consoleErrorHandler, protocolValidatorCompiler } from './errors.ts';
import { startSnapshotRetention } from './retention.ts';

/** What the console needs beyond the hub's HttpDeps; each has a fallback so the plugin runs on HttpDeps alone. */
export interface ConsoleExtras {
  settings?: Settings;
  raise?: RaiseAlert;
  send?: SendCommand;
  log?: Logger;
  now?: () => number;
  accountSettings?: Partial<AccountSettings>;
  limits?: Partial<ConsoleContext['limits']>;
  /** Alert snapshots older than this are deleted (default 30 days); 0 keeps them. */
  snapshotRetentionDays?: number;
}


/** Most console bodies are a few short fields; the tip route raises its own limit for a photo. */
const BODY_LIMIT = 32 * 1024;

/**
 * The consoles' JSON API under /api: one encapsulated fastify plugin, so its cookie parser,
 * validator, error format and auth hook apply to these routes only (fastify Encapsulation).
 * Request schemas come from protocol/src/api and are compiled by protocol's ajv, like MQTT payloads.
 */
export function consoleApi(deps: HttpDeps & ConsoleExtras): FastifyPluginAsync {
  return async (parent) => {
    await parent.register(
      async (app) => {
        const settings = deps.settings ?? validateSettings({});
        const log = deps.log ?? createLogger('silent');
        const now = deps.now ?? Date.now;
        const db = consoleDb(deps.db.kysely);
        const sender = deps.send ? undefined : createCommandSender(deps.broker);
        let live: ConsoleLive | undefined;
        const ctx: ConsoleContext = {
          db,
          accounts: new Accounts(db, { ...DEFAULT_ACCOUNT_SETTINGS, ...settings.login, ...deps.accountSettings }, now, (scope) => deps.metrics.authThrottled.inc({ surface: 'console', scope })),
          live: (live = new ConsoleLive(db, deps.alerts, log, now)),
          shared: new SharedFrames(deps.broker, now),
          send: deps.send ?? sender!.send,
          broker: deps.broker,
          raise: deps.raise ?? createAlertRaiser({ db: deps.db.kysely, settings: settings.alerts, metrics: deps.metrics, log, bus: deps.alerts, now }),
          dataDir: settings.dataDir,
          log,
          // One registry per hub; the gauge reads the live streams at scrape time.
          metrics: consoleMetrics(deps.metrics.registry, () => live?.size ?? 0),
          now,
          limits: { tipsPerHour: 5, sosPerHour: 3, ...deps.limits },
        };
        ctx.live.start();
        let stopRetention = () => {};
        app.addHook('onReady', async () => {
          stopRetention = startSnapshotRetention({ db, dataDir: ctx.dataDir, days: deps.snapshotRetentionDays ?? 30, log, now });
        });
        app.addHook('onClose', async () => {
          stopRetention();
          ctx.live.stop();
          ctx.shared.close();
          sender?.close();
        });

        await app.register(fastifyCookie);
        app.decorateRequest('principal', null);
        app.addHook('onRoute', (route) => {
          route.bodyLimit ??= BODY_LIMIT;
        });
        app.setValidatorCompiler(protocolValidatorCompiler);
        app.setErrorHandler(consoleErrorHandler);
        // An unknown API path answers like every other refusal (a code, no framework wording).
        app.setNotFoundHandler((req, reply) => {
          void reply.code(404).send(new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`).toJSON());
        });
        app.addHook('onRequest', authHook(ctx));
        const openapi = new OpenApiCollector();
        app.addHook('onRoute', openapi.collect);
        for (const routes of consoleRoutes) await app.register(routes(ctx));
        await app.register(openapi.routes());
      },
      { prefix: '/api' },
    );
  };
}
