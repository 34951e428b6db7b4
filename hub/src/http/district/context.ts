import type { FastifyRequest } from 'fastify';
import { KhoaError } from '@khoa/protocol';
import type { Accounts, Principal } from '../../accounts/index.ts';
import type { CoverageDb } from '../../storage/coverage-tables.ts';
import type { CoverageSettings } from '../../coverage/targets.ts';
import type { LiveCoverageCache } from '../../coverage/live-cache.ts';
import type { Logger } from '../../log.ts';
import type { Metrics } from '../../metrics.ts';

/** What the officials' routes share, built once by the plugin in index.ts. */
export interface DistrictContext {
  db: CoverageDb;
  accounts: Accounts;
  settings: CoverageSettings;
  live: LiveCoverageCache;
  log: Logger;
  now: () => number;
  metrics: Metrics;
}

/** Roles that read the officials' aggregates; an officer sees its own commune's too. */
export const READERS = ['official', 'officer', 'admin'] as const;
/** Roles that record commune standings and recognitions (the district's assessment). */
export const ASSESSORS = ['official', 'admin'] as const;
/** Roles that change the area tree and its census figures. */
export const ADMINS = ['admin'] as const;

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(req: FastifyRequest, p: Principal): void {
  principals.set(req, p);
}

export function principalOf(req: FastifyRequest): Principal {
  const p = principals.get(req);
  if (!p) throw new KhoaError('KHOA_ERR_HTTP_UNAUTHENTICATED');
  return p;
}

/**
 * An area outside the account's subtree answers 404, like the console: its id reveals
 * nothing. An administrator without an area (ROOT) sees every area.
 */
export function requireInScope(p: Principal, areaId: string): void {
  if (p.role === 'admin' && p.areaId === null) return;
  if (!p.areaIds.has(areaId)) throw new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', `area ${areaId}`, { areaId });
}
