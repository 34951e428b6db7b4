import type { FastifyPluginAsync } from 'fastify';
import { factsDetail, KhoaError, SosBodySchema, TIP_PHOTO_MAX_BYTES, TipBodySchema, type SosBody, type TipBody } from '@khoa/protocol';
import { countTipsSince, insertTip } from '../../storage/tips.ts';
import { who, type ConsoleContext } from './context.ts';

const HOUSEHOLD = { roles: ['household'] as const };
const HOUR = 3600_000;

/** The first bytes each accepted type must start with: the declared type is not trusted alone. */
const MAGIC: Record<string, number[]> = { 'image/jpeg': [0xff, 0xd8, 0xff], 'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] };

async function decodePhoto(photo: NonNullable<TipBody['photo']>): Promise<Buffer> {
  const bytes = Buffer.from(photo.data, 'base64');
  if (bytes.length > TIP_PHOTO_MAX_BYTES) throw new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `photo is ${bytes.length} bytes > ${TIP_PHOTO_MAX_BYTES}`, { field: 'photo' });
  const magic = MAGIC[photo.type] ?? [];
  if (bytes.length < magic.length || magic.some((b, i) => bytes[i] !== b)) throw new KhoaError('KHOA_ERR_IMAGE_DECODE', `photo is not a ${photo.type}`, { field: 'photo' });
  // The photo is shown to police in their browsers: a few KB declaring 20000×20000 pixels would
  // hang the console that opens it. Only the header is read; loaded here because sharp is heavy.
  const { probeImage } = await import('../../pipeline/frames/decode.ts');
  try {
    await probeImage(bytes);
  } catch (err) {
    const e = err as KhoaError;
    throw new KhoaError(e.code === 'KHOA_ERR_IMAGE_TOO_LARGE' ? e.code : 'KHOA_ERR_IMAGE_DECODE', `photo: ${e.message}`, { ...e.context, field: 'photo' });
  }
  return bytes;
}

/**
 * Citizens' tips and SOS (seed 000's keyring channel): each becomes an alert of kind `tip` or
 * `sos` through the hub's raiser, so it reaches the console live and goes through the same
 * workflow and deadlines. Limited per household and hour, counted in the database.
 */
export function tipRoutes(ctx: ConsoleContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: TipBody }>('/tips', { schema: { body: TipBodySchema }, config: HOUSEHOLD, bodyLimit: Math.ceil((TIP_PHOTO_MAX_BYTES * 4) / 3) + 16 * 1024 }, async (req, reply) => {
      const p = who(req);
      const householdId = p.householdId!;
      const now = ctx.now();
      if ((await countTipsSince(ctx.db, householdId, now - HOUR)) >= ctx.limits.tipsPerHour) {
        throw new KhoaError('KHOA_ERR_HTTP_RATE_LIMITED', `at most ${ctx.limits.tipsPerHour} tips an hour`, { retryAfterS: 3600 });
      }
      const photo = req.body.photo
        ? await decodePhoto(req.body.photo).catch((err: unknown) => {
            ctx.metrics.photosRefused.inc({ code: (err as KhoaError).code ?? 'unknown' });
            throw err;
          })
        : null;
      const text = req.body.text.trim();
      const alert = await ctx.raise({ kind: 'tip', householdId, deviceId: null, detail: text.length > 140 ? `${text.slice(0, 139)}…` : text });
      if (!alert) throw new KhoaError('KHOA_ERR_HTTP_CONFLICT', 'tip not recorded');
      await insertTip(ctx.db, { alertId: Number(alert.id), householdId, username: p.username, text, photo, photoType: photo ? req.body.photo!.type : null }, now);
      return reply.code(201).send({ alertId: Number(alert.id) });
    });

    app.post<{ Body: SosBody }>('/sos', { schema: { body: SosBodySchema }, config: HOUSEHOLD }, async (req, reply) => {
      const p = who(req);
      const householdId = p.householdId!;
      const now = ctx.now();
      const recent = await ctx.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('household_id', '=', householdId)
        .where('kind', '=', 'sos')
        .where('device_id', 'is', null)
        .where('created_at', '>=', now - HOUR)
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= ctx.limits.sosPerHour) throw new KhoaError('KHOA_ERR_HTTP_RATE_LIMITED', `at most ${ctx.limits.sosPerHour} SOS an hour from the page`, { retryAfterS: 600 });
      const alert = await ctx.raise({ kind: 'sos', householdId, deviceId: null, detail: factsDetail({ via: 'household_page', user: p.username, ...(req.body.note ? { note: req.body.note } : {}) }) });
      return reply.code(201).send({ alertId: alert ? Number(alert.id) : null });
    });
  };
}
