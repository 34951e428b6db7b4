import { join } from 'node:path';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import type { TSchema } from '@sinclair/typebox';
import { KhoaError, compile, httpStatusOf, isKhoaError, type Validator } from '@khoa/protocol';
import { databaseBusyError } from '../../storage/busy.ts';
import { Accounts, DEFAULT_ACCOUNT_SETTINGS } from '../../accounts/index.ts';
import { consoleDb } from '../../storage/console-tables.ts';
import { coverageDb } from '../../storage/coverage-tables.ts';
import { validateSettings } from '../../settings/load.ts';
import { createLogger } from '../../log.ts';
import { LiveCoverageCache } from '../../coverage/live-cache.ts';
import { registerCoverageGauges } from '../../coverage/gauges.ts';
import { CoverageRecorder } from '../../coverage/recorder.ts';
import type { HttpDeps } from '../deps.ts';
import { districtAuth } from './auth.ts';
import { districtRoutes } from './routes.ts';
import type { DistrictContext } from './context.ts';

export interface DistrictExtras {
  /** Take the daily coverage snapshots in this process (default true; tests turn it off). */
  recordSnapshots?: boolean;
}

const validators = new WeakMap<object, Validator<TSchema>>();

/**
 * The officials' API under /api/district (issue 7): coverage against the plan targets,
 * response times, commune standings and the periodic reports. Its own encapsulated scope
 * (cookie parser, validator, error format, auth hook), signed in with the console's session.
 * It also runs the daily coverage snapshot, which past reports and the trend read.
 */
export function districtApi(deps: HttpDeps & DistrictExtras): FastifyPluginAsync {
  return async (parent) => {
    await parent.register(
      async (app) => {
        const settings = deps.settings ?? validateSettings({});
        const log = (deps.log ?? createLogger('silent')).child({ subsystem: 'district' });
        const now = deps.now ?? Date.now;
        const db = coverageDb(deps.db.kysely);
        const ctx: DistrictContext = {
          db, settings: settings.coverage, log, now, metrics: deps.metrics,
          accounts: new Accounts(consoleDb(deps.db.kysely), DEFAULT_ACCOUNT_SETTINGS, now),
          live: new LiveCoverageCache(db, settings.coverage),
        };
        registerCoverageGauges(deps.metrics.registry, async () => (await ctx.live.get(now())).figures.values());
        const recorder = deps.recordSnapshots === false ? undefined : new CoverageRecorder(db, settings.coverage, log, now, 3600_000, join(settings.dataDir, 'reports'));
        app.addHook('onReady', async () => {
          recorder?.start();
          // The first official of the day should not wait for the province-wide scan.
          if (deps.recordSnapshots !== false) void ctx.live.get(now()).catch((err: unknown) => log.error({ err }, 'coverage warm-up failed'));
        });
        app.addHook('onClose', async () => recorder?.stop());

        await app.register(fastifyCookie);
        app.setValidatorCompiler(({ schema }) => {
          let v = validators.get(schema);
          if (!v) {
            v = compile(schema as TSchema, 'KHOA_ERR_HTTP_BAD_REQUEST');
            validators.set(schema, v);
          }
          const check = v;
          return (data: unknown) => {
            const r = check.check(data);
            return r.ok ? { value: r.value } : { error: r.error };
          };
        });
        app.setErrorHandler((err: FastifyError | KhoaError, req, reply) => {
          let e: KhoaError;
          const busy = databaseBusyError(err);
          if (isKhoaError(err)) e = err;
          else if (busy) e = busy;
          else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
            e = new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', err.message, { reason: 'too_large' });
            if (req.url.endsWith('/areas/import')) deps.metrics.areaImports.inc({ result: 'refused', reason: 'too_large' });
          }
          else if (err.validation || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)) e = new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', err.message);
          else {
            req.log.error({ err }, 'district API failed');
            return reply.code(500).send({ code: 'KHOA_ERR_STORAGE', message: 'internal error', context: {} });
          }
          // Payload errors of the computations (a period not started, …) are the caller's.
          const status = e.code === 'KHOA_ERR_PAYLOAD_INVALID' ? 400 : (httpStatusOf[e.code] ?? 500);
          if (status === 503) reply.header('retry-after', '1');
          return reply.code(status).send(e.toJSON());
        });
        app.addHook('onRequest', districtAuth(ctx));
        await app.register(districtRoutes(ctx));
      },
      { prefix: '/api/district' },
    );
  };
}
