import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKhoaError, type KhoaError } from '@khoa/protocol';
import { tempDir } from '../testing/databases.ts';
import { rmSync } from 'node:fs';
import { openDb, type Db } from '../storage/open.ts';
import { addArea } from '../storage/areas.ts';
import { coverageDb, type CoverageDb } from '../storage/coverage-tables.ts';
import { importAreas, type RowError } from './area-import.ts';
import { parseCsv } from './csv.ts';
import { treeAt } from './tree-at.ts';

const HEADER = 'id,parent_id,level,name,kind,households,residential_areas,residential_areas_covered,agencies,agencies_covered\n';
const GOOD = `${HEADER}bg,,province,Bắc Giang,,,,,,
ln,bg,district,Lục Ngạn,,,,,,
chu,ln,commune,"Thị trấn Chũ, Lục Ngạn",urban,,12,10,6,6
tan-quang,ln,commune,Xã Tân Quang,rural,,8,3,2,1
chu-1,chu,village,Tổ dân phố 1,,420,,,,
tq-1,tan-quang,village,Thôn Ao Vường,,310,,,,
`;

async function refused(p: Promise<unknown>): Promise<RowError[]> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isKhoaError(err, 'KHOA_ERR_PAYLOAD_INVALID')).toBe(true);
  return (err as KhoaError).context.errors as RowError[];
}

describe('area CSV import', () => {
  let db: Db;
  let cdb: CoverageDb;
  let dir: string;
  const T1 = Date.UTC(2026, 0, 1);
  const T2 = Date.UTC(2026, 6, 1);
  beforeAll(async () => {
    dir = tempDir();
    db = await openDb({ url: '', busyTimeoutMs: 5000 }, dir);
    cdb = coverageDb(db.kysely);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses quoted fields, doubled quotes, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,"b, c","say ""hi"""\r\n1,,"x\ny"\r\n')).toEqual([
      { line: 1, fields: ['a', 'b, c', 'say "hi"'] },
      { line: 2, fields: ['1', '', 'x\ny'] },
    ]);
  });

  it('refuses a file with bad rows, naming row, column and reason, and writes nothing', async () => {
    const bad = `${HEADER}bg,,province,Bắc Giang,,,,,,
Bad Id,bg,commune,X,,,,,,
c2,bg,commune,,town,,,,,
c3,bg,commune,C3,rural,-5,,,,
c4,bg,commune,C4,rural,,3,4,,
bg,,province,again,,,,,,
c5,bg,commune,C5
`;
    const errors = await refused(importAreas(cdb, bad, T1));
    expect(errors).toEqual([
      { row: 3, column: 'id', reason: '"Bad Id" is not an id (a-z, 0-9, _ and -, 1 to 64 characters)' },
      { row: 4, column: 'name', reason: 'expected 1 to 200 characters' },
      { row: 4, column: 'kind', reason: 'expected urban, rural or empty, got "town"' },
      { row: 5, column: 'households', reason: 'expected a whole number 0–100000000, got "-5"' },
      { row: 6, column: 'residential_areas_covered', reason: '4 covered of 3 residential areas' },
      { row: 7, column: 'id', reason: 'bg is already on line 2' },
      { row: 8, column: null, reason: '4 fields, the header has 10' },
    ]);
    expect(await cdb.selectFrom('areas').selectAll().execute()).toEqual([]);
  });

  it('refuses unknown parents, cycles, census on two levels and unknown columns', async () => {
    expect(await refused(importAreas(cdb, 'id,parent,level,name\n', T1))).toEqual([
      { row: 1, column: null, reason: 'unknown column "parent"; expected id,parent_id,level,name,kind,households,residential_areas,residential_areas_covered,agencies,agencies_covered' },
      { row: 1, column: 'parent_id', reason: 'required column is missing' },
    ]);
    const tree = `id,parent_id,level,name,households
a,b,commune,A,
b,a,district,B,
c,nowhere,commune,C,
p,,province,P,100
q,p,commune,Q,40
`;
    expect(await refused(importAreas(cdb, tree, T1))).toEqual([
      { row: 2, column: 'parent_id', reason: 'makes a cycle through a' },
      { row: 3, column: 'parent_id', reason: 'makes a cycle through b' },
      { row: 4, column: 'parent_id', reason: 'no area nowhere in the file or stored' },
      { row: 6, column: 'households', reason: 'households are also given on p (line 5), above this area: give them on one level only' },
    ]);
    expect(await cdb.selectFrom('area_versions').selectAll().execute()).toEqual([]);
  });

  it('imports a tree, then keeps the old version when a later file changes it', async () => {
    expect(await importAreas(cdb, GOOD, T1)).toEqual({ added: 6, changed: 0, unchanged: 0 });
    expect(await importAreas(cdb, GOOD, T1 + 1000)).toEqual({ added: 0, changed: 0, unchanged: 6 });
    // Mid-year: a new census for Tổ 1 and the commune renamed; only the columns given change.
    const later = 'id,parent_id,level,name,households\nchu,ln,commune,Thị trấn Chũ,\nchu-1,chu,village,Tổ dân phố 1,450\n';
    expect(await importAreas(cdb, later, T2)).toEqual({ added: 0, changed: 2, unchanged: 0 });
    const before = await treeAt(cdb, T2 - 1);
    const after = await treeAt(cdb, T2);
    expect(before.get('chu')).toMatchObject({ name: 'Thị trấn Chũ, Lục Ngạn', kind: 'urban', residentialAreas: 12 });
    expect(after.get('chu')).toMatchObject({ name: 'Thị trấn Chũ', kind: 'urban', residentialAreas: 12, agenciesCovered: 6 });
    expect(before.get('chu-1')!.households).toBe(420);
    expect(after.get('chu-1')!.households).toBe(450);
    expect(after.get('ln')!.children).toEqual(['chu', 'tan-quang']);
    expect((await cdb.selectFrom('areas').select('name').where('id', '=', 'chu').executeTakeFirstOrThrow()).name).toBe('Thị trấn Chũ');
  });

  it('versions an area first added with `khoa area add`', async () => {
    await addArea(db.kysely, { id: 'tq-2', parentId: 'tan-quang', level: 'village', name: 'Thôn 2' }, T1);
    expect(await importAreas(cdb, 'id,parent_id,level,name,households\ntq-2,tan-quang,village,Thôn Hai,90\n', T2)).toEqual({ added: 0, changed: 1, unchanged: 0 });
    expect((await treeAt(cdb, T2 - 1)).get('tq-2')).toMatchObject({ name: 'Thôn 2', households: null });
    expect((await treeAt(cdb, T2)).get('tq-2')).toMatchObject({ name: 'Thôn Hai', households: 90 });
  });
});
