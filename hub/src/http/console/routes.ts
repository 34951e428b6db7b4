import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleContext } from './context.ts';
import { sessionRoutes } from './session.ts';
import { alertRoutes } from './alerts.ts';
import { streamRoutes } from './stream.ts';
import { mediaRoutes } from './media.ts';
import { tipRoutes } from './tips.ts';
import { householdRoutes } from './household.ts';
import { advisoryRoutes } from './advisories.ts';
import { surveyRoutes } from './survey.ts';
import { statsRoutes } from './stats.ts';
import { adminRoutes } from './admin.ts';

/** Every route group of the console API, one file each. A new group is one file plus one line. */
export const consoleRoutes: Array<(ctx: ConsoleContext) => FastifyPluginAsync> = [
  sessionRoutes,
  alertRoutes,
  streamRoutes,
  mediaRoutes,
  tipRoutes,
  householdRoutes,
  advisoryRoutes,
  surveyRoutes,
  statsRoutes,
  adminRoutes,
];
