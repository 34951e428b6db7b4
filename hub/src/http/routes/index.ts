import type { FastifyPluginAsync } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { healthz } from './healthz.ts';
import { metrics } from './metrics.ts';
import { consoleApi } from '../console/index.ts';
import { districtApi } from '../district/index.ts';
import { pages } from '../pages.ts';

/** Every HTTP route plugin, each in its own file. A new area of the API is one file plus one line. */
export const routes: Array<(deps: HttpDeps) => FastifyPluginAsync> = [healthz, metrics, consoleApi, districtApi, pages];
