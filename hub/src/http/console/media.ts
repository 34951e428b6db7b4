import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { IdParams, KhoaError } from '@khoa/protocol';
import type { Principal } from '../../accounts/index.ts';
import { writeAudit } from '../../storage/audit-log.ts';
import { tipPhoto } from '../../storage/tips.ts';
import { activeShare } from '../../storage/camera-shares.ts';
import { noStore, notFound, who, type ConsoleContext } from './context.ts';
import { visibleAlert } from './scope.ts';

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

/**
 * Images of a household: the snapshot that raised an alert and a tip's photo. Only the
 * household and officers of its area get them, never officials; every view by anyone but the
 * household is written to the audit log before the bytes leave (decree 13/2023, art. 9).
 */
export function mediaRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  const roles = { roles: ['officer', 'household'] as const };

  const audit = (p: Principal, req: { ip: string }, action: string, alertId: number, householdId: string) => {
    ctx.metrics.imageViews.inc({ kind: action.split('.')[0]!, role: p.role });
    return p.role === 'household' ? Promise.resolve() : writeAudit(ctx.db, { username: p.username, role: p.role, action, target: `alert:${alertId}`, householdId, ip: req.ip }, ctx.now());
  };

  const sendImage = (reply: FastifyReply, type: string, bytes: Buffer) =>
    noStore(reply).type(type).header('x-content-type-options', 'nosniff').header('content-disposition', 'inline').send(bytes);

  const recentViews = new Map<string, number>();

  return async (app) => {
    app.get<{ Params: { id: string } }>('/alerts/:id/snapshot', { schema: { params: IdParams }, config: roles }, async (req, reply) => {
      const p = who(req);
      const row = await visibleAlert(ctx.db, p, Number(req.params.id));
      if (!row.snapshot_path) throw notFound('snapshot');
      const file = isAbsolute(row.snapshot_path) ? row.snapshot_path : join(ctx.dataDir, row.snapshot_path);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch {
        // Deleted by retention or by the household: gone is gone.
        throw notFound('snapshot');
      }
      await audit(p, req, 'snapshot.view', Number(row.id), row.household_id);
      return sendImage(reply, TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', bytes);
    });

    /**
     * The latest frame of the camera the household shares, reachable only from one of its
     * alerts and only while the share lasts. Logged at most once a minute per officer and
     * alert, since the page refreshes the picture every few seconds.
     */
    app.get<{ Params: { id: string } }>('/alerts/:id/shared-frame', { schema: { params: IdParams }, config: { roles: ['officer'] as const } }, async (req, reply) => {
      const p = who(req);
      const row = await visibleAlert(ctx.db, p, Number(req.params.id));
      const share = await activeShare(ctx.db, row.household_id, ctx.now());
      if (!share) throw notFound('no camera is shared');
      const frame = ctx.shared.watch({ householdId: share.household_id, deviceId: share.device_id }, share.camera_id, share.until);
      if (!frame) throw notFound('no frame yet');
      ctx.metrics.imageViews.inc({ kind: 'shared_camera', role: p.role });
      const key = `${p.username}:${row.id}`;
      if ((recentViews.get(key) ?? 0) < ctx.now() - 60_000) {
        recentViews.set(key, ctx.now());
        if (recentViews.size > 10_000) recentViews.clear();
        await writeAudit(ctx.db, { username: p.username, role: p.role, action: 'shared_camera.view', target: `alert:${row.id}`, householdId: row.household_id, ip: req.ip, detail: `${share.device_id}/${share.camera_id}` }, ctx.now());
      }
      return sendImage(reply.header('x-frame-ts', String(frame.ts)), 'image/jpeg', frame.jpeg);
    });

    app.get<{ Params: { id: string } }>('/alerts/:id/tip-photo', { schema: { params: IdParams }, config: roles }, async (req, reply) => {
      const p = who(req);
      const row = await visibleAlert(ctx.db, p, Number(req.params.id));
      const tip = await tipPhoto(ctx.db, Number(row.id));
      if (!tip?.photo || !tip.photo_type) throw notFound('photo');
      if (!['image/jpeg', 'image/png'].includes(tip.photo_type)) throw new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', 'photo');
      await audit(p, req, 'tip_photo.view', Number(row.id), row.household_id);
      return sendImage(reply, tip.photo_type, Buffer.from(tip.photo));
    });
  };
}
