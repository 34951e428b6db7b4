import type { FastifyPluginAsync } from 'fastify';
import { SURVEY_ITEMS, SurveyBodySchema, SurveySummaryQuerySchema, type SurveyBody } from '@khoa/protocol';
import { getHousehold } from '../../storage/households.ts';
import { hubDb } from '../../storage/console-tables.ts';
import { saveSurvey, surveyWorklist } from '../../storage/surveys.ts';
import { notFound, who, type ConsoleContext } from './context.ts';

/**
 * The quarterly lock-safety survey (seed 000): officers fill one checklist per household and
 * quarter on a phone; the summary per village is what the commune reports upward, so officials
 * may read it (it names no household).
 */
export function surveyRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: SurveyBody }>('/survey', { schema: { body: SurveyBodySchema }, config: { roles: ['officer'] } }, async (req) => {
      const p = who(req);
      const h = await getHousehold(hubDb(ctx.db), req.body.householdId);
      if (!h || !p.areaIds.has(h.area_id)) throw notFound(`household ${req.body.householdId}`);
      const passed = await saveSurvey(ctx.db, { householdId: h.id, quarter: req.body.quarter, answers: req.body.answers, note: req.body.note ?? null, by: p.username }, ctx.now());
      return { passed };
    });

    app.get<{ Querystring: { quarter: string } }>('/survey/households', { schema: { querystring: SurveySummaryQuerySchema }, config: { roles: ['officer'] } }, async (req) => {
      const rows = await surveyWorklist(ctx.db, [...who(req).areaIds], req.query.quarter);
      return { items: rows.map((r) => ({ householdId: r.id, address: r.address, areaName: r.area_name, answers: r.answers ? (JSON.parse(r.answers) as Record<string, boolean>) : null, passed: r.passed === null ? null : r.passed === 1 })) };
    });

    app.get<{ Querystring: { quarter: string } }>('/survey/summary', { schema: { querystring: SurveySummaryQuerySchema }, config: { roles: ['officer', 'official', 'admin'] } }, async (req) => {
      const rows = await surveyWorklist(ctx.db, [...who(req).areaIds], req.query.quarter);
      const byArea = new Map<string, { areaId: string; areaName: string; households: number; surveyed: number; passed: number; items: Record<string, number> }>();
      for (const r of rows) {
        const v = byArea.get(r.area_id) ?? { areaId: r.area_id, areaName: r.area_name, households: 0, surveyed: 0, passed: 0, items: Object.fromEntries(SURVEY_ITEMS.map((k) => [k, 0])) };
        v.households++;
        if (r.answers) {
          v.surveyed++;
          if (r.passed === 1) v.passed++;
          const a = JSON.parse(r.answers) as Record<string, boolean>;
          for (const k of SURVEY_ITEMS) if (a[k]) v.items[k] = (v.items[k] ?? 0) + 1;
        }
        byArea.set(r.area_id, v);
      }
      return { quarter: req.query.quarter, items: [...byArea.values()] };
    });
  };
}
