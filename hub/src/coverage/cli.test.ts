import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../testing/databases.ts';
import { main } from '../cli/main.ts';
import { parseCsv } from './csv.ts';

/** `khoa area import` and `khoa report` through the CLI entry point, on a SQLite file. */
describe('khoa area import and khoa report', () => {
  let dir: string;
  let config: string;
  const err: string[] = [];
  beforeAll(() => {
    dir = tempDir();
    config = join(dir, 'hub.json');
    writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'silent' }));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad file line by line, imports a good one, and reports it as CSV', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,parent_id,level,name,kind,households\nbg,,province,Bắc Giang,,\nx,bg,commune,X,town,\ny,bg,commune,Y,rural,-1\n');
    expect(await main(['area', 'import', bad, '--config', config])).toBe(1);
    expect(err).toEqual([
      `${bad}: nothing imported, 2 error(s):`,
      '  line 3, column kind: expected urban, rural or empty, got "town"',
      '  line 4, column households: expected a whole number 0–100000000, got "-1"',
    ]);
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'id,parent_id,level,name,kind,households\nbg,,province,Bắc Giang,,\nx,bg,commune,Xã X,rural,500\n');
    expect(await main(['area', 'import', good, '--from', '2026-01-01', '--config', config])).toBe(0);
    const out = join(dir, 'r.csv');
    expect(await main(['report', '--area', 'bg', '--period', '2026-01', '--out', out, '--config', config])).toBe(0);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows.map((r) => r.fields[1])).toEqual(['Mã', 'bg', 'x']);
    err.length = 0;
    expect(await main(['report', '--area', 'bg', '--period', '2026-H3', '--config', config])).toBe(1);
    expect(await main(['report', '--area', 'bg', '--period', '2026', '--format', 'pdf', '--config', config])).toBe(1);
    expect(await main(['area', 'import', good, '--from', '2026-02-30', '--config', config])).toBe(1);
    expect(err.map((e) => e.replace(/.*\[(KHOA_ERR_\w+)\]$/, '$1'))).toEqual(['KHOA_ERR_PAYLOAD_INVALID', 'KHOA_ERR_CONFIG_INVALID', 'KHOA_ERR_CONFIG_INVALID']);
  });
});
