import type { FastifyPluginAsync } from 'fastify';
import {
  ALERT_ACTIONS, AlertListQuerySchema, AssignBodySchema, IdParams, KhoaError, isKhoaError, NoteBodySchema, StepBodySchema,
  type AlertAction, type AlertDetail, type AlertList, type AlertListQuery, type AssignBody, type StepBody,
} from '@khoa/protocol';
import { addAlertNote, alertHistory, alertNotes, queryAlerts, recentDeviceEvents, transitionAlert } from '../../storage/alert-queries.ts';
import { areaSubtree } from '../../storage/area-tree.ts';
import { getUserByName, listOfficers } from '../../storage/users.ts';
import { tipOfAlert } from '../../storage/tips.ts';
import { activeShare } from '../../storage/camera-shares.ts';
import { who, type ConsoleContext } from './context.ts';
import { alertDto, decodeCursor, encodeCursor } from './dto.ts';
import { visibleAlert } from './scope.ts';

const OFFICER = { roles: ['officer'] as const };
const PAGE_DEFAULT = 50;
const PAGE_MAX = 200;

/** The police alert list, its detail, and the workflow steps. Households read theirs in household.ts. */
export function alertRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: AlertListQuery }>('/alerts', { schema: { querystring: AlertListQuerySchema }, config: OFFICER }, async (req): Promise<AlertList> => {
      const p = who(req);
      const q = req.query;
      const limit = Math.min(Math.max(Number(q.limit ?? PAGE_DEFAULT), 1), PAGE_MAX);
      const now = ctx.now();
      const rows = await queryAlerts(ctx.db, {
        areaIds: [...p.areaIds], status: q.status, kind: q.kind, overdue: q.overdue === '1', assignedTo: q.mine === '1' ? p.username : undefined, q: q.q, before: decodeCursor(q.cursor), limit: limit + 1, now,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map((r) => alertDto(r, now)), next: rows.length > limit && last ? encodeCursor(last) : null };
    });

    app.get<{ Params: { id: string } }>('/alerts/:id', { schema: { params: IdParams }, config: OFFICER }, async (req): Promise<AlertDetail> => {
      const row = await visibleAlert(ctx.db, who(req), Number(req.params.id));
      const id = Number(row.id);
      const [history, notes, events, tip, share] = await Promise.all([
        alertHistory(ctx.db, id),
        alertNotes(ctx.db, id),
        row.device_id ? recentDeviceEvents(ctx.db, row.device_id) : Promise.resolve([]),
        tipOfAlert(ctx.db, id),
        activeShare(ctx.db, row.household_id, ctx.now()),
      ]);
      return {
        alert: alertDto(row, ctx.now()),
        history: history.map((h) => ({ fromStatus: h.from_status, toStatus: h.to_status, by: h.by, at: h.at, note: h.note })),
        notes: notes.map((n) => ({ id: Number(n.id), by: n.by, at: n.at, text: n.text })),
        events: events.map((e) => ({ id: Number(e.id), lockId: e.lock_id, type: e.type, at: e.received_at, battery: e.battery })),
        tip: tip ? { text: tip.text, hasPhoto: !!tip.photo_type } : null,
        sharedUntil: share?.until ?? null,
      };
    });

    for (const action of Object.keys(ALERT_ACTIONS) as AlertAction[]) {
      const schema = action === 'assign' ? AssignBodySchema : StepBodySchema;
      app.post<{ Params: { id: string }; Body: StepBody & Partial<AssignBody> }>(`/alerts/:id/${action}`, { schema: { params: IdParams, body: schema }, config: OFFICER }, async (req) => {
        const p = who(req);
        const row = await visibleAlert(ctx.db, p, Number(req.params.id));
        let assignedTo: string | undefined;
        if (action === 'assign') {
          const target = await getUserByName(ctx.db, req.body.officer ?? '');
          // The officer assigned must be able to see the alert, or the job lands where nobody can open it.
          const ok = target && target.role === 'officer' && !target.disabled && target.area_id && (await areaSubtree(ctx.db, target.area_id)).includes(row.area_id);
          if (!ok) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', `${req.body.officer} is not an officer of this area`, { field: 'officer' });
          assignedTo = target.username;
        }
        try {
          await transitionAlert(ctx.db, Number(row.id), { to: ALERT_ACTIONS[action], by: p.username, at: ctx.now(), note: req.body.note, assignedTo });
        } catch (err) {
          if (isKhoaError(err, 'KHOA_ERR_HTTP_CONFLICT')) ctx.metrics.steps.inc({ action, result: 'conflict' });
          throw err;
        }
        ctx.metrics.steps.inc({ action, result: 'ok' });
        ctx.live.changed(Number(row.id));
        return alertDto(await visibleAlert(ctx.db, p, Number(row.id)), ctx.now());
      });
    }

    app.post<{ Params: { id: string }; Body: { text: string } }>('/alerts/:id/notes', { schema: { params: IdParams, body: NoteBodySchema }, config: OFFICER }, async (req) => {
      const p = who(req);
      const row = await visibleAlert(ctx.db, p, Number(req.params.id));
      const id = await addAlertNote(ctx.db, Number(row.id), p.username, req.body.text, ctx.now());
      ctx.live.changed(Number(row.id));
      return { id };
    });

    /** Officers an alert can be assigned to: those whose scope covers the caller's area. */
    app.get('/officers', { config: OFFICER }, async (req) => {
      const p = who(req);
      const rows = await listOfficers(ctx.db, [...p.areaIds]);
      return { items: rows.map((o) => ({ username: o.username, displayName: o.display_name, areaId: o.area_id })) };
    });
  };
}
