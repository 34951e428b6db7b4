import { KhoaError, type AreaEditBody } from '@khoa/protocol';
import type { CoverageDb } from '../storage/coverage-tables.ts';
import { importAreas, type ImportResult } from './area-import.ts';

/** Body field → CSV column of the area import. */
const COLUMNS: Record<Exclude<keyof AreaEditBody, 'name'>, string> = {
  kind: 'kind',
  households: 'households',
  residentialAreas: 'residential_areas',
  residentialAreasCovered: 'residential_areas_covered',
  agencies: 'agencies',
  agenciesCovered: 'agencies_covered',
};

const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;

/**
 * Changes one area from the admin page. It is an import of one row: the same checks (counts
 * never on an area and its descendants, covered ≤ total) and the same history (a new version
 * from `at`), and columns not sent keep their stored values.
 */
export async function editArea(db: CoverageDb, id: string, body: AreaEditBody, at: number): Promise<ImportResult> {
  const current =
    (await db.selectFrom('area_versions').select(['parent_id', 'level', 'name']).where('area_id', '=', id).where('valid_to', 'is', null).executeTakeFirst()) ??
    (await db.selectFrom('areas').select(['parent_id', 'level', 'name']).where('id', '=', id).executeTakeFirst());
  if (!current) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', id, { areaId: id });
  const header = ['id', 'parent_id', 'level', 'name'];
  const row = [id, current.parent_id ?? '', current.level, body.name ?? current.name];
  for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string]>) {
    if (!(field in body)) continue;
    header.push(column);
    const v = body[field];
    row.push(v === null || v === undefined ? '' : String(v));
  }
  return importAreas(db, `${header.join(',')}\n${row.map(quote).join(',')}\n`, at);
}
