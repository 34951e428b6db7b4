import { writeFileSync } from 'node:fs';
import { KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import { coverageDb } from '../../storage/coverage-tables.ts';
import { buildReport } from '../../coverage/report.ts';
import { reportCsv } from '../../coverage/report-csv.ts';
import { reportHtml } from '../../coverage/report-html.ts';
import { htmlToPdf } from '../../coverage/report-pdf.ts';

const usage = `usage: khoa report --area ID --period PERIOD [--format csv|html|pdf] [--lang vi|en] [--out FILE] [--config FILE]

Coverage, response and standing report of an area and the areas right below it.
PERIOD: 2026-03 (month), 2026-Q1 (quarter), 2026-H1 (6 months), 2026 (year).
A closed period is reported as it was at its end (the tree, the daily coverage snapshot,
alerts where households lived then). CSV (default) goes to stdout unless --out is given;
html and pdf need --out. pdf is printed by Chromium (KHOA_CHROMIUM, else /usr/bin/chromium, else the one @sparticuz/chromium unpacks).`;

const FORMATS = ['csv', 'html', 'pdf'] as const;

export const report: CliCommand = {
  name: 'report',
  summary: 'coverage and response report of an area for a month, quarter, half year or year',
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, { ...configOption, area: { type: 'string' }, period: { type: 'string' }, format: { type: 'string' }, lang: { type: 'string' }, out: { type: 'string' } });
    const format = (values.format ?? 'csv') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--format must be one of ${FORMATS.join(', ')}`, { option: 'format' });
    const lang = values.lang ?? 'vi';
    if (lang !== 'vi' && lang !== 'en') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--lang must be vi or en', { option: 'lang' });
    if (format !== 'csv' && !values.out) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--format ${format} needs --out FILE`, { option: 'out' });
    const settings = settingsFrom(values);
    const area = required(values, 'area');
    const period = required(values, 'period');
    const t0 = performance.now();
    const r = await withDb(settings, (db) => buildReport(coverageDb(db.kysely), settings.coverage, area, period, Date.now()));
    const body = format === 'csv' ? reportCsv(r, lang) : format === 'html' ? reportHtml(r, lang) : await htmlToPdf(reportHtml(r, lang));
    if (!values.out) {
      process.stdout.write(body);
      return 0;
    }
    writeFileSync(values.out, body);
    console.error(`report ${area} ${period} written to ${values.out} in ${Math.round(performance.now() - t0)} ms`);
    return 0;
  },
};
