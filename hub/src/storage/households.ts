import type { Kysely } from 'kysely';
import { KhoaError } from '@khoa/protocol';
import type { Database, Household } from './tables.ts';
import { getArea } from './areas.ts';

export interface NewHousehold {
  id: string;
  areaId: string;
  address: string;
  nightStart?: string | undefined;
  nightEnd?: string | undefined;
  timezone?: string | undefined;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** Vietnam's single zone; every household of a commune is in it unless told otherwise. */
export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';

export async function addHousehold(db: Kysely<Database>, h: NewHousehold, now = Date.now()): Promise<Household> {
  const nightStart = h.nightStart ?? '22:00';
  const nightEnd = h.nightEnd ?? '05:30';
  for (const [setting, v] of [['nightStart', nightStart], ['nightEnd', nightEnd]] as const) {
    if (!HHMM.test(v)) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `${setting} must be HH:MM, got ${JSON.stringify(v)}`, { field: setting });
  }
  const timezone = h.timezone ?? DEFAULT_TIMEZONE;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `unknown time zone ${JSON.stringify(timezone)}`, { field: 'timezone' });
  }
  if (!(await getArea(db, h.areaId))) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', h.areaId, { areaId: h.areaId });
  const row: Household = { id: h.id, area_id: h.areaId, address: h.address, night_start: nightStart, night_end: nightEnd, timezone, armed: 0, created_at: now };
  await db.insertInto('households').values(row).execute();
  return row;
}

export async function getHousehold(db: Kysely<Database>, id: string): Promise<Household | undefined> {
  return db.selectFrom('households').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setArmed(db: Kysely<Database>, id: string, armed: boolean): Promise<void> {
  await db.updateTable('households').set({ armed: armed ? 1 : 0 }).where('id', '=', id).execute();
}
