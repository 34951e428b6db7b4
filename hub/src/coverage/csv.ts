import { KhoaError } from '@khoa/protocol';

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (a quote inside doubled),
 * CRLF or LF line ends. A leading UTF-8 BOM is dropped: spreadsheets save Vietnamese CSV with
 * one. Returns rows of fields with the 1-based line each row starts on, for error messages.
 */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    fields.push(field);
    // A blank line (e.g. the one after the last line end) is not a row.
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === '"') throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `line ${line}: a quote inside an unquoted field`, { line });
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
    i++;
  }
  if (quoted) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `line ${rowLine}: a quoted field is not closed`, { line: rowLine });
  if (field !== '' || fields.length) endRow();
  return rows;
}

/** Quotes a field when it needs it (reports are opened in spreadsheets). */
export function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  // A leading = + - @ would run as a formula in a spreadsheet (CSV injection): prefix a quote.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',') + '\r\n';
}
