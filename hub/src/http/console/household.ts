import type { FastifyPluginAsync } from 'fastify';
import { ArmBodySchema, DeleteDataBodySchema, KhoaError, ShareBodySchema, isKhoaError, type ArmBody, type CommandReply, type DeleteDataBody, type ShareBody } from '@khoa/protocol';
import { getHousehold, setArmed } from '../../storage/households.ts';
import { getArea } from '../../storage/areas.ts';
import { hubDb } from '../../storage/console-tables.ts';
import { deleteHouseholdData, householdDevices, householdEvents } from '../../storage/household-data.ts';
import { listShares, shareCamera, stopSharing } from '../../storage/camera-shares.ts';
import { queryAlerts } from '../../storage/alert-queries.ts';
import { writeAudit } from '../../storage/audit-log.ts';
import { who, type ConsoleContext } from './context.ts';
import { alertDto } from './dto.ts';

const HOUSEHOLD = { roles: ['household'] as const };
/** A command the agent has not answered in this time is reported as not confirmed. */
const REPLY_TIMEOUT_MS = 8000;

/** A household member's own page: devices and their state, arm/disarm, events, alerts, sharing, deletion. */
export function householdRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  const own = (p: { householdId: string | null }) => {
    if (!p.householdId) throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'no household on this account');
    return p.householdId;
  };

  return async (app) => {
    app.get('/household', { config: HOUSEHOLD }, async (req) => {
      const id = own(who(req));
      const h = await getHousehold(hubDb(ctx.db), id);
      if (!h) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', id);
      const area = await getArea(hubDb(ctx.db), h.area_id);
      const { devices, locks, cameras } = await householdDevices(ctx.db, id);
      const shares = await listShares(ctx.db, id, ctx.now());
      return {
        household: { id: h.id, address: h.address, areaName: area?.name ?? null, armed: h.armed === 1 },
        devices: devices.filter((d) => !d.revoked).map((d) => ({
          id: d.id, kind: d.kind, status: d.status, statusAt: d.status_at, lastSeenAt: d.last_seen_at,
          locks: locks.filter((l) => l.device_id === d.id).map((l) => ({ id: l.lock_id, name: l.name, kind: l.kind, lockState: l.lock_state, doorState: l.door_state, battery: l.battery, updatedAt: l.updated_at })),
          cameras: cameras.filter((c) => c.device_id === d.id).map((c) => ({ id: c.camera_id, name: c.name, state: c.state, stateAt: c.state_at })),
        })),
        shares: shares.map((s) => ({ deviceId: s.device_id, cameraId: s.camera_id, until: s.until })),
      };
    });

    /**
     * Arms or disarms through the agents, which hold the state; the answer comes only after
     * every agent of the household replied (or did not, within the timeout).
     */
    app.post<{ Body: ArmBody }>('/household/arm', { schema: { body: ArmBodySchema }, config: HOUSEHOLD }, async (req) => {
      const id = own(who(req));
      const { devices } = await householdDevices(ctx.db, id);
      const agents = devices.filter((d) => !d.revoked && d.kind === 'agent');
      if (agents.length === 0) throw new KhoaError('KHOA_ERR_HTTP_CONFLICT', 'this household has no home controller yet', { reason: 'no_agent' });
      const replies = await Promise.all(
        agents.map(async (d): Promise<{ deviceId: string; ok: boolean; error?: string }> => {
          const dev = { householdId: id, deviceId: d.id };
          try {
            const r: CommandReply = req.body.armed ? await ctx.send(dev, 'arm', req.body.mode ? { mode: req.body.mode } : {}, REPLY_TIMEOUT_MS) : await ctx.send(dev, 'disarm', {}, REPLY_TIMEOUT_MS);
            return { deviceId: d.id, ok: r.ok, ...(r.error ? { error: r.error } : {}) };
          } catch (err) {
            if (isKhoaError(err) && err.context.timeout) return { deviceId: d.id, ok: false, error: 'timeout' };
            throw err;
          }
        }),
      );
      const confirmed = replies.every((r) => r.ok);
      // The ingest also records the reply; writing here too makes the next GET agree at once.
      if (confirmed) await setArmed(hubDb(ctx.db), id, req.body.armed);
      return { armed: confirmed ? req.body.armed : (await getHousehold(hubDb(ctx.db), id))?.armed === 1, confirmed, replies };
    });

    app.get('/household/events', { config: HOUSEHOLD }, async (req) => {
      const rows = await householdEvents(ctx.db, own(who(req)), 50);
      return { items: rows.map((e) => ({ id: Number(e.id), deviceId: e.device_id, lockId: e.lock_id, type: e.type, battery: e.battery, at: e.received_at })) };
    });

    app.get('/household/alerts', { config: HOUSEHOLD }, async (req) => {
      const now = ctx.now();
      const rows = await queryAlerts(ctx.db, { householdId: own(who(req)), status: 'all', limit: 50, now });
      return { items: rows.map((r) => alertDto(r, now)) };
    });

    app.post<{ Body: ShareBody }>('/household/share', { schema: { body: ShareBodySchema }, config: HOUSEHOLD }, async (req) => {
      const p = who(req);
      const id = own(p);
      const { cameras } = await householdDevices(ctx.db, id);
      if (!cameras.some((c) => c.device_id === req.body.deviceId && c.camera_id === req.body.cameraId)) throw new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', 'camera');
      const until = ctx.now() + req.body.minutes * 60_000;
      await shareCamera(ctx.db, { householdId: id, deviceId: req.body.deviceId, cameraId: req.body.cameraId, until, by: p.username }, ctx.now());
      // Listen from now on, so the police have a picture as soon as they look.
      ctx.shared.watch({ householdId: id, deviceId: req.body.deviceId }, req.body.cameraId, until);
      await writeAudit(ctx.db, { username: p.username, role: p.role, action: 'camera.share', target: `camera:${req.body.deviceId}/${req.body.cameraId}`, householdId: id, ip: req.ip, detail: `${req.body.minutes} min` }, ctx.now());
      return { until };
    });

    app.post('/household/share/stop', { config: HOUSEHOLD }, async (req) => {
      const p = who(req);
      await stopSharing(ctx.db, own(p));
      ctx.shared.stopHousehold(own(p));
      await writeAudit(ctx.db, { username: p.username, role: p.role, action: 'camera.share_stop', target: `household:${own(p)}`, householdId: own(p), ip: req.ip }, ctx.now());
      return { ok: true };
    });

    app.post<{ Body: DeleteDataBody }>('/household/delete-data', { schema: { body: DeleteDataBodySchema }, config: HOUSEHOLD }, async (req) => {
      const p = who(req);
      const id = own(p);
      if (req.body.confirm !== id) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', 'type the household id to confirm', { field: 'confirm' });
      const r = await deleteHouseholdData(ctx.db, id, ctx.dataDir);
      await writeAudit(ctx.db, { username: p.username, role: p.role, action: 'household.delete_data', target: `household:${id}`, householdId: id, ip: req.ip, detail: JSON.stringify(r) }, ctx.now());
      return r;
    });
  };
}
