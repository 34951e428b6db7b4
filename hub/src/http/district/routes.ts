import type { FastifyPluginAsync } from 'fastify';
import {
  AreaEditBodySchema, DistrictAreaParamsSchema, DistrictReportParamsSchema, DistrictViewQuerySchema, RecognitionBodySchema, StandingBodySchema,
  type AreaEditBody, type DistrictAreaParams, type DistrictReportParams, type DistrictViewQuery, type RecognitionBody, type StandingBody,
} from '@khoa/protocol';
import { buildReport } from '../../coverage/report.ts';
import { reportCsv } from '../../coverage/report-csv.ts';
import { reportHtml } from '../../coverage/report-html.ts';
import { htmlToPdf } from '../../coverage/report-pdf.ts';
import { recordRecognition, recordStanding } from '../../coverage/standings.ts';
import { importAreas, importRefusalOf, parseAreaCsv } from '../../coverage/area-import.ts';
import { editArea } from '../../coverage/area-edit.ts';
import { KhoaError, isKhoaError } from '@khoa/protocol';
import type { Principal } from '../../accounts/index.ts';
import { VN_OFFSET_MS } from '../../coverage/periods.ts';
import { ADMINS, ASSESSORS, READERS, principalOf, requireInScope, type DistrictContext } from './context.ts';

/** The month running now in Vietnam, the dashboard's default period. */
function currentMonth(now: number): string {
  return new Date(now + VN_OFFSET_MS).toISOString().slice(0, 7);
}

/** A printed report loads nothing and runs nothing; its styles are inline. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * An administrator scoped to part of the tree may only add areas below it and change areas
 * inside it; the file's other errors are left to importAreas, which reports them per row.
 */
async function requireFileInScope(ctx: DistrictContext, p: Principal, csv: Uint8Array): Promise<void> {
  if (p.areaId === null) return;
  const { rows } = parseAreaCsv(csv);
  const inFile = new Set(rows.map((r) => r.id));
  const foreign = rows.filter((r) => !p.areaIds.has(r.id)).map((r) => r.id);
  const existing = foreign.length ? await ctx.db.selectFrom('areas').select('id').where('id', 'in', foreign).execute() : [];
  const bad = rows.find((r) => existing.some((e) => e.id === r.id) || r.parentId === null || !(p.areaIds.has(r.parentId) || inFile.has(r.parentId)));
  if (bad) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', `line ${bad.line}: area ${bad.id} is outside this account's scope`, { areaId: bad.id, row: bad.line });
}

/** A province's area file: a few thousand rows. */
const CSV_LIMIT = 5 * 1024 * 1024;

export function districtRoutes(ctx: DistrictContext): FastifyPluginAsync {
  return async (app) => {
    // Where the dashboard starts: the account's own area, or every root for an installation-wide administrator.
    app.get('/roots', { config: { roles: READERS } }, async (req) => {
      const p = principalOf(req);
      const q = ctx.db.selectFrom('areas').select(['id', 'name', 'level']).orderBy('name');
      return p.areaId === null ? (p.role === 'admin' ? q.where('parent_id', 'is', null).execute() : []) : q.where('id', '=', p.areaId).execute();
    });

    // An area with the areas right below it (the dashboard's drill-down) for a period.
    app.get<{ Params: DistrictAreaParams; Querystring: DistrictViewQuery }>(
      '/areas/:id',
      { schema: { params: DistrictAreaParamsSchema, querystring: DistrictViewQuerySchema }, config: { roles: READERS } },
      async (req, reply) => {
        requireInScope(principalOf(req), req.params.id);
        const now = ctx.now();
        reply.header('cache-control', 'private, no-store');
        return buildReport(ctx.db, ctx.settings, req.params.id, req.query.period ?? currentMonth(now), now, ctx.live.get);
      },
    );

    // The same report as a file: CSV for spreadsheets, HTML to print, PDF printed by Chromium.
    app.get<{ Params: DistrictReportParams; Querystring: DistrictViewQuery }>(
      '/areas/:id/report/:format',
      { schema: { params: DistrictReportParamsSchema, querystring: DistrictViewQuerySchema }, config: { roles: READERS } },
      async (req, reply) => {
        requireInScope(principalOf(req), req.params.id);
        const now = ctx.now();
        const period = req.query.period ?? currentMonth(now);
        const lang = req.query.lang ?? 'vi';
        const t0 = performance.now();
        const r = await buildReport(ctx.db, ctx.settings, req.params.id, period, now, ctx.live.get);
        const name = `khoa-${req.params.id}-${period}`;
        reply.header('cache-control', 'private, no-store');
        let body: string | Buffer;
        if (req.params.format === 'csv') {
          body = reportCsv(r, lang);
          reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`);
        } else if (req.params.format === 'html') {
          body = reportHtml(r, lang);
          reply.type('text/html; charset=utf-8').header('content-security-policy', REPORT_CSP);
        } else {
          body = await htmlToPdf(reportHtml(r, lang));
          reply.type('application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`);
        }
        ctx.log.info({ areaId: req.params.id, period, format: req.params.format, ms: Math.round(performance.now() - t0) }, 'report generated');
        return reply.send(body);
      },
    );

    // Area data from a spreadsheet (the same CSV as `khoa area import`): all rows or none.
    // Bytes, not a string: the import refuses what is not UTF-8 instead of reading it as U+FFFD.
    app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_LIMIT }, (_req, body, done) => done(null, body));
    app.post<{ Body: Buffer }>('/areas/import', { bodyLimit: CSV_LIMIT, config: { roles: ADMINS } }, async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ code: 'KHOA_ERR_HTTP_BAD_REQUEST', message: 'send the CSV as text/csv', context: {} });
      let result;
      try {
        await requireFileInScope(ctx, principalOf(req), req.body);
        result = await importAreas(ctx.db, req.body, ctx.now());
      } catch (err) {
        ctx.metrics.areaImports.inc({ result: 'refused', reason: isKhoaError(err, 'KHOA_ERR_HTTP_FORBIDDEN') ? 'scope' : importRefusalOf(err) });
        throw err;
      }
      ctx.metrics.areaImports.inc({ result: 'ok', reason: '' });
      ctx.live.clear();
      ctx.log.info({ by: principalOf(req).username, ...result }, 'areas imported');
      return result;
    });

    app.put<{ Params: DistrictAreaParams; Body: AreaEditBody }>(
      '/areas/:id',
      { schema: { params: DistrictAreaParamsSchema, body: AreaEditBodySchema }, config: { roles: ADMINS } },
      async (req) => {
        const p = principalOf(req);
        requireInScope(p, req.params.id);
        const result = await editArea(ctx.db, req.params.id, req.body, ctx.now());
        ctx.live.clear();
        ctx.log.info({ by: p.username, areaId: req.params.id, fields: Object.keys(req.body) }, 'area edited');
        return result;
      },
    );

    app.post<{ Params: DistrictAreaParams; Body: StandingBody }>(
      '/areas/:id/standing',
      { schema: { params: DistrictAreaParamsSchema, body: StandingBodySchema }, config: { roles: ASSESSORS } },
      async (req) => {
        const p = principalOf(req);
        requireInScope(p, req.params.id);
        await recordStanding(ctx.db, { areaId: req.params.id, period: req.body.period, class: req.body.class, rating: req.body.rating, by: p.username }, ctx.now());
        return { ok: true };
      },
    );

    app.post<{ Params: DistrictAreaParams; Body: RecognitionBody }>(
      '/areas/:id/recognition',
      { schema: { params: DistrictAreaParamsSchema, body: RecognitionBodySchema }, config: { roles: ASSESSORS } },
      async (req) => {
        const p = principalOf(req);
        requireInScope(p, req.params.id);
        await recordRecognition(ctx.db, { areaId: req.params.id, year: req.body.year, recognised: req.body.recognised, by: p.username }, ctx.now());
        return { ok: true };
      },
    );
  };
}
