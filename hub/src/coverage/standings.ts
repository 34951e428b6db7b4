import { KhoaError } from '@khoa/protocol';
import type { CoverageDb } from '../storage/coverage-tables.ts';
import { parsePeriod } from './periods.ts';
import { percentOf, targetFor, type CoverageSettings } from './targets.ts';

/** Commune classes of Đề án 201 (seed 001), most demanding first. */
export const COMMUNE_CLASSES = ['trong_diem_phuc_tap', 'phuc_tap', 'it_phuc_tap'] as const;
/** Movement ratings: tốt, khá, trung bình, yếu. */
export const MOVEMENT_RATINGS = ['tot', 'kha', 'trung_binh', 'yeu'] as const;
export type CommuneClass = (typeof COMMUNE_CLASSES)[number];
export type MovementRating = (typeof MOVEMENT_RATINGS)[number];

/** Records a commune's class and movement rating for a period (a later record of the same period replaces it). */
export async function recordStanding(db: CoverageDb, s: { areaId: string; period: string; class: string | null; rating: string | null; by: string }, now: number): Promise<void> {
  parsePeriod(s.period);
  if (s.class !== null && !(COMMUNE_CLASSES as readonly string[]).includes(s.class)) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `class must be one of ${COMMUNE_CLASSES.join(', ')}`, { field: 'class' });
  if (s.rating !== null && !(MOVEMENT_RATINGS as readonly string[]).includes(s.rating)) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `rating must be one of ${MOVEMENT_RATINGS.join(', ')}`, { field: 'rating' });
  if (!(await db.selectFrom('areas').select('id').where('id', '=', s.areaId).executeTakeFirst())) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', s.areaId, { areaId: s.areaId });
  const row = { class: s.class, rating: s.rating, by: s.by, at: now };
  await db.insertInto('commune_standings').values({ area_id: s.areaId, period: s.period, ...row }).onConflict((oc) => oc.columns(['area_id', 'period']).doUpdateSet(row)).execute();
}

/** Records whether a unit was recognised "An toàn về ANTT" in a year. */
export async function recordRecognition(db: CoverageDb, r: { areaId: string; year: number; recognised: boolean; by: string }, now: number): Promise<void> {
  if (!Number.isInteger(r.year) || r.year < 2000 || r.year > 2100) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', 'year must be 2000–2100', { field: 'year' });
  if (!(await db.selectFrom('areas').select('id').where('id', '=', r.areaId).executeTakeFirst())) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', r.areaId, { areaId: r.areaId });
  const row = { recognised: r.recognised ? 1 : 0, by: r.by, at: now };
  await db.insertInto('safety_recognitions').values({ area_id: r.areaId, year: r.year, ...row }).onConflict((oc) => oc.columns(['area_id', 'year']).doUpdateSet(row)).execute();
}

export interface Standing {
  class: string | null;
  rating: string | null;
}

/** Standings recorded for a period, by area. */
export async function standingsOf(db: CoverageDb, period: string, areaIds: readonly string[]): Promise<Map<string, Standing>> {
  if (!areaIds.length) return new Map();
  const rows = await db.selectFrom('commune_standings').select(['area_id', 'class', 'rating']).where('period', '=', period).where('area_id', 'in', areaIds).execute();
  return new Map(rows.map((r) => [r.area_id, { class: r.class, rating: r.rating }]));
}

export interface RecognitionShare {
  year: number;
  /** Units assessed that year (those with a record). */
  assessed: number;
  recognised: number;
  percent: number | null;
  targetPercent: number;
  /** Seed 001 asks for more than the target share. */
  met: boolean;
}

/** Share of the units in `areaIds` recognised "An toàn về ANTT" in `year`, against the plan. */
export async function recognitionShare(db: CoverageDb, settings: CoverageSettings, year: number, areaIds: readonly string[]): Promise<RecognitionShare> {
  const rows = areaIds.length ? await db.selectFrom('safety_recognitions').select('recognised').where('year', '=', year).where('area_id', 'in', areaIds).execute() : [];
  const recognised = rows.filter((r) => Number(r.recognised) === 1).length;
  const targetPercent = targetFor(settings, year).recognisedPercent;
  const percent = percentOf(recognised, rows.length);
  return { year, assessed: rows.length, recognised, percent, targetPercent, met: rows.length > 0 && recognised * 100 > targetPercent * rows.length };
}
