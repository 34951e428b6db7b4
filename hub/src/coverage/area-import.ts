import { isValidId, KhoaError } from '@khoa/protocol';
import type { AreaVersion, CoverageDb } from '../storage/coverage-tables.ts';
import { decodeCsvBytes, parseCsv } from './csv.ts';

/**
 * Area data from CSV: the tree and its census figures. One row per area; the header names the
 * columns (any order; the optional ones may be left out):
 *
 *   id,parent_id,level,name,kind,households,residential_areas,residential_areas_covered,agencies,agencies_covered
 *
 * - id: lower-case a-z 0-9 _ -; parent_id: empty for a root, else an area in the file or
 *   already stored; level: label (province, district, commune, village, …).
 * - kind: urban, rural or empty (inherited from above).
 * - households: census households of the area itself, on the lowest level known (never on an
 *   area and one of its descendants: they would count twice); empty when unknown.
 * - residential_areas / agencies (agencies, enterprises, schools) and how many of them have
 *   cameras: whole numbers, covered ≤ total.
 *
 * Every row is checked before anything is written; any error refuses the whole file. Changed
 * areas get a new version from `at`, the old one is closed, so earlier reports are unchanged.
 */
export const AREA_COLUMNS = ['id', 'parent_id', 'level', 'name', 'kind', 'households', 'residential_areas', 'residential_areas_covered', 'agencies', 'agencies_covered'] as const;
const REQUIRED = ['id', 'parent_id', 'level', 'name'] as const;
type Column = (typeof AREA_COLUMNS)[number];

export interface RowError {
  /** 1-based line in the file. */
  row: number;
  column: Column | null;
  reason: string;
}

export interface ImportResult {
  added: number;
  changed: number;
  unchanged: number;
}

interface Parsed {
  line: number;
  id: string;
  parentId: string | null;
  level: string;
  name: string;
  kind: string | null;
  households: number | null;
  ra: number;
  raCovered: number;
  ag: number;
  agCovered: number;
  /** Whether the optional columns were present (absent ones keep the stored value). */
  has: Set<Column>;
}

const MAX_COUNT = 100_000_000;
/** Province → district → commune → village → group is five; anything near this is a mistake (and bounds each walk up the tree). */
export const MAX_AREA_DEPTH = 16;
/** Errors reported per file: enough to fix a sheet in one pass, bounded for a hostile one. */
const MAX_ERRORS = 1000;
/** Why a file was refused: the `reason` label of khoa_area_imports_total. */
export type ImportRefusal = 'too_large' | 'encoding' | 'csv' | 'rows' | 'tree';

function count(v: string, col: Column, line: number, errors: RowError[]): number | null {
  if (v === '') return null;
  if (!/^\d{1,9}$/.test(v) || Number(v) > MAX_COUNT) {
    errors.push({ row: line, column: col, reason: `expected a whole number 0–${MAX_COUNT}, got ${JSON.stringify(v.slice(0, 40))}` });
    return null;
  }
  return Number(v);
}

/**
 * Checks the file's rows one by one; returns them parsed, and the errors found (at most
 * MAX_ERRORS). Bytes are decoded as strict UTF-8; `stage` says what kind of error came first.
 */
export function parseAreaCsv(input: string | Uint8Array): { rows: Parsed[]; errors: RowError[]; stage?: ImportRefusal } {
  const errors: RowError[] = [];
  let table: ReturnType<typeof parseCsv>;
  try {
    table = parseCsv(typeof input === 'string' ? input : decodeCsvBytes(input));
  } catch (err) {
    const ctx = (err as KhoaError).context ?? {};
    const stage: ImportRefusal = ctx.reason === 'too_large' ? 'too_large' : ctx.reason === 'encoding' || ctx.reason === 'nul' ? 'encoding' : 'csv';
    return { rows: [], errors: [{ row: typeof ctx.line === 'number' ? ctx.line : 1, column: null, reason: (err as Error).message }], stage };
  }
  const header = table[0];
  if (!header) return { rows: [], errors: [{ row: 1, column: null, reason: 'the file is empty' }] };
  const names = header.fields.map((f) => f.trim().toLowerCase());
  for (const n of names) if (!(AREA_COLUMNS as readonly string[]).includes(n)) errors.push({ row: header.line, column: null, reason: `unknown column ${JSON.stringify(n)}; expected ${AREA_COLUMNS.join(',')}` });
  for (const r of REQUIRED) if (!names.includes(r)) errors.push({ row: header.line, column: r, reason: 'required column is missing' });
  if (new Set(names).size !== names.length) errors.push({ row: header.line, column: null, reason: 'a column is named twice' });
  if (errors.length) return { rows: [], errors, stage: 'rows' };

  const rows: Parsed[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of table.slice(1)) {
    if (errors.length >= MAX_ERRORS) {
      errors.push({ row: line, column: null, reason: `more than ${MAX_ERRORS} errors; the rest of the file was not checked` });
      break;
    }
    if (fields.length !== names.length) {
      errors.push({ row: line, column: null, reason: `${fields.length} fields, the header has ${names.length}` });
      continue;
    }
    const get = (c: Column) => (fields[names.indexOf(c)] ?? '').trim();
    const has = new Set(AREA_COLUMNS.filter((c) => names.includes(c)));
    const before = errors.length;
    const id = get('id');
    if (!isValidId(id)) errors.push({ row: line, column: 'id', reason: `${JSON.stringify(id)} is not an id (a-z, 0-9, _ and -, 1 to 64 characters)` });
    else if (seen.has(id)) errors.push({ row: line, column: 'id', reason: `${id} is already on line ${seen.get(id)}` });
    else seen.set(id, line);
    const parentId = get('parent_id') || null;
    if (parentId !== null && !isValidId(parentId)) errors.push({ row: line, column: 'parent_id', reason: `${JSON.stringify(parentId)} is not an id` });
    if (parentId === id) errors.push({ row: line, column: 'parent_id', reason: 'an area cannot be its own parent' });
    const level = get('level');
    if (!/^[a-z_]{1,40}$/.test(level)) errors.push({ row: line, column: 'level', reason: 'expected a label of a-z and _ (province, district, commune, village, …)' });
    const name = get('name');
    if (!name || name.length > 200) errors.push({ row: line, column: 'name', reason: 'expected 1 to 200 characters' });
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    else if (/[\u0000-\u001f\u007f]/.test(name)) errors.push({ row: line, column: 'name', reason: 'contains a control character (tab, line break, …)' });
    const kind = get('kind') || null;
    if (kind !== null && kind !== 'urban' && kind !== 'rural') errors.push({ row: line, column: 'kind', reason: `expected urban, rural or empty, got ${JSON.stringify(kind)}` });
    const households = count(get('households'), 'households', line, errors);
    const ra = count(get('residential_areas'), 'residential_areas', line, errors) ?? 0;
    const raCovered = count(get('residential_areas_covered'), 'residential_areas_covered', line, errors) ?? 0;
    const ag = count(get('agencies'), 'agencies', line, errors) ?? 0;
    const agCovered = count(get('agencies_covered'), 'agencies_covered', line, errors) ?? 0;
    if (raCovered > ra) errors.push({ row: line, column: 'residential_areas_covered', reason: `${raCovered} covered of ${ra} residential areas` });
    if (agCovered > ag) errors.push({ row: line, column: 'agencies_covered', reason: `${agCovered} covered of ${ag} agencies` });
    if (errors.length === before) rows.push({ line, id, parentId, level, name, kind, households, ra, raCovered, ag, agCovered, has });
  }
  if (!table.slice(1).length) errors.push({ row: 1, column: null, reason: 'no area rows after the header' });
  return { rows, errors, ...(errors.length && { stage: 'rows' as const }) };
}

/** Checks the rows against the stored tree (parents, cycles, double census), then writes them in one transaction. */
export async function importAreas(db: CoverageDb, input: string | Uint8Array, at: number): Promise<ImportResult> {
  const { rows, errors, stage } = parseAreaCsv(input);
  if (errors.length) throw importError(errors, stage ?? 'rows');
  return db.transaction().execute(async (tx) => {
    const current = new Map<string, AreaVersion>();
    for (const v of await tx.selectFrom('area_versions').selectAll().where('valid_to', 'is', null).execute()) current.set(v.area_id, v);
    const unversioned = await tx.selectFrom('areas').selectAll().where('id', 'not in', tx.selectFrom('area_versions').select('area_id')).execute();
    for (const a of unversioned) {
      current.set(a.id, { area_id: a.id, valid_from: Number(a.created_at), valid_to: null, parent_id: a.parent_id, level: a.level, name: a.name, kind: a.kind, households: null, residential_areas: 0, residential_areas_covered: 0, agencies: 0, agencies_covered: 0 });
    }
    // The tree as it will be: stored areas with the file's rows laid over them.
    const next = new Map(current);
    const fromFile = new Map<string, Parsed>();
    for (const r of rows) {
      const old = current.get(r.id);
      const keep = <K extends keyof AreaVersion>(col: Column, k: K, v: AreaVersion[K]): AreaVersion[K] => (r.has.has(col) || !old ? v : old[k]);
      next.set(r.id, {
        area_id: r.id, valid_from: at, valid_to: null, parent_id: r.parentId, level: r.level, name: r.name,
        kind: keep('kind', 'kind', r.kind), households: keep('households', 'households', r.households),
        residential_areas: keep('residential_areas', 'residential_areas', r.ra), residential_areas_covered: keep('residential_areas_covered', 'residential_areas_covered', r.raCovered),
        agencies: keep('agencies', 'agencies', r.ag), agencies_covered: keep('agencies_covered', 'agencies_covered', r.agCovered),
      });
      fromFile.set(r.id, r);
    }
    const treeErrors: RowError[] = [];
    for (const r of rows) {
      if (treeErrors.length >= MAX_ERRORS) {
        treeErrors.push({ row: r.line, column: null, reason: `more than ${MAX_ERRORS} errors; the rest of the file was not checked` });
        break;
      }
      if (r.parentId && !next.has(r.parentId)) {
        treeErrors.push({ row: r.line, column: 'parent_id', reason: `no area ${r.parentId} in the file or stored` });
        continue;
      }
      const seen = new Set<string>([r.id]);
      let censusAbove: string | null = null;
      for (let p = r.parentId; p; p = next.get(p)?.parent_id ?? null) {
        if (seen.has(p)) {
          treeErrors.push({ row: r.line, column: 'parent_id', reason: `makes a cycle through ${p}` });
          break;
        }
        if (seen.size > MAX_AREA_DEPTH) {
          treeErrors.push({ row: r.line, column: 'parent_id', reason: `more than ${MAX_AREA_DEPTH} levels above this area` });
          break;
        }
        seen.add(p);
        if (censusAbove === null && next.get(p)?.households != null) censusAbove = p;
      }
      if (next.get(r.id)!.households != null && censusAbove) {
        const line = fromFile.get(censusAbove)?.line;
        treeErrors.push({ row: r.line, column: 'households', reason: `households are also given on ${censusAbove}${line ? ` (line ${line})` : ''}, above this area: give them on one level only` });
      }
    }
    if (treeErrors.length) throw importError(treeErrors, 'tree');

    const result: ImportResult = { added: 0, changed: 0, unchanged: 0 };
    // Parents before children (foreign key on areas.parent_id).
    const depths = new Map(rows.map((r) => [r.id, depth(next, r.id)]));
    const ordered = [...rows].sort((a, b) => depths.get(a.id)! - depths.get(b.id)!);
    for (const r of ordered) {
      const v = next.get(r.id)!;
      const old = current.get(r.id);
      if (!old) {
        await tx.insertInto('areas').values({ id: v.area_id, parent_id: v.parent_id, level: v.level, name: v.name, kind: v.kind, created_at: at }).execute();
        await tx.insertInto('area_versions').values(v).execute();
        result.added++;
        continue;
      }
      const fields = ['parent_id', 'level', 'name', 'kind', 'households', 'residential_areas', 'residential_areas_covered', 'agencies', 'agencies_covered'] as const;
      // PostgreSQL and SQLite may hand numbers back as text or number: compare as text.
      const same = (x: unknown) => (x === null || x === undefined ? null : String(x));
      if (fields.every((f) => same(old[f]) === same(v[f]))) {
        result.unchanged++;
        continue;
      }
      if (Number(old.valid_from) >= at) {
        throw importError([{ row: r.line, column: null, reason: `area ${r.id} already has a version from ${new Date(Number(old.valid_from)).toISOString()}; import with a later date` }], 'tree');
      }
      const stored = await tx.selectFrom('area_versions').select('area_id').where('area_id', '=', r.id).where('valid_to', 'is', null).executeTakeFirst();
      if (stored) await tx.updateTable('area_versions').set({ valid_to: at }).where('area_id', '=', r.id).where('valid_to', 'is', null).execute();
      else await tx.insertInto('area_versions').values({ ...old, valid_to: at }).execute();
      await tx.insertInto('area_versions').values(v).execute();
      await tx.updateTable('areas').set({ parent_id: v.parent_id, level: v.level, name: v.name, kind: v.kind }).where('id', '=', r.id).execute();
      result.changed++;
    }
    return result;
  });
}

function depth(tree: Map<string, AreaVersion>, id: string): number {
  let d = 0;
  for (let p = tree.get(id)?.parent_id; p && d < 1000; p = tree.get(p)?.parent_id) d++;
  return d;
}

function importError(errors: RowError[], stage: ImportRefusal): KhoaError {
  const first = errors.slice(0, 5).map((e) => `line ${e.row}${e.column ? ` ${e.column}` : ''}: ${e.reason}`).join('; ');
  const code = stage === 'too_large' ? 'KHOA_ERR_PAYLOAD_TOO_LARGE' : 'KHOA_ERR_PAYLOAD_INVALID';
  return new KhoaError(code, `area file refused, nothing imported (${errors.length} error${errors.length === 1 ? '' : 's'}): ${first}`, { errors, stage });
}

/** The reason label of khoa_area_imports_total for an import that threw. */
export function importRefusalOf(err: unknown): ImportRefusal | 'failed' {
  const stage = (err as KhoaError)?.context?.stage;
  return typeof stage === 'string' ? (stage as ImportRefusal) : 'failed';
}
