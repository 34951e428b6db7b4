import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Aedes } from 'aedes';
import { KhoaError, type Role } from '@khoa/protocol';
import type { Accounts, Principal } from '../../accounts/index.ts';
import type { ConsoleDb } from '../../storage/console-tables.ts';
import type { SendCommand } from '../../commands/send-command.ts';
import type { RaiseAlert } from '../../alerts/raise.ts';
import type { Logger } from '../../log.ts';
import type { ConsoleLive } from './live.ts';
import type { SharedFrames } from './shared-frames.ts';
import type { ConsoleMetrics } from './metrics.ts';

/** Everything the console's route files share, built once by the plugin in index.ts. */
export interface ConsoleContext {
  db: ConsoleDb;
  accounts: Accounts;
  live: ConsoleLive;
  /** Latest frames of cameras households share with police. */
  shared: SharedFrames;
  send: SendCommand;
  /** The hub's broker, for fire-and-forget commands (advisories). */
  broker: () => Aedes;
  raise: RaiseAlert;
  /** Where relative snapshot paths are resolved. */
  dataDir: string;
  log: Logger;
  metrics: ConsoleMetrics;
  now: () => number;
  limits: { tipsPerHour: number; sosPerHour: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's auth hook; null only on the public routes (login). */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; the auth hook refuses the rest with 403. `public` skips login. */
    roles?: readonly Role[] | 'public';
  }
}

/** The principal of an authenticated route (the hook has already refused anonymous calls). */
export function who(req: FastifyRequest): Principal {
  if (!req.principal) throw new KhoaError('KHOA_ERR_HTTP_UNAUTHENTICATED');
  return req.principal;
}

/** Objects outside the caller's scope answer 404, so ids of another commune reveal nothing. */
export function notFound(what: string): KhoaError {
  return new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', what);
}

export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'private, no-store');
}
