import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleContext } from './context.ts';
import { sessionRoutes } from './session.ts';
import { alertRoutes } from './alerts.ts';
import { streamRoutes } from './stream.ts';
import { mediaRoutes } from './media.ts';

/** Every route group of the console API, one file each. A new group is one file plus one line. */
export const consoleRoutes: Array<(ctx: ConsoleContext) => FastifyPluginAsync> = [sessionRoutes, alertRoutes, streamRoutes, mediaRoutes];
