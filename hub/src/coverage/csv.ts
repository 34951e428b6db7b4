import { KhoaError } from '@khoa/protocol';

/**
 * Bounds on a CSV file, checked while reading so a hostile file costs bounded memory: a
 * province's area file is a few thousand short rows, far inside them.
 */
export const CSV_LIMITS = { maxBytes: 16 * 1024 * 1024, maxRows: 200_000, maxFieldChars: 4096 };

/**
 * Bytes to text, refusing what is not UTF-8 (a spreadsheet saved as Windows-1258 or UTF-16
 * would otherwise import as mojibake) with the line and field of the first bad byte.
 */
export function decodeCsvBytes(bytes: Uint8Array, limits = CSV_LIMITS): string {
  if (bytes.byteLength > limits.maxBytes) throw new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `the file is ${bytes.byteLength} bytes, more than ${limits.maxBytes}`, { line: 1, reason: 'too_large', bytes: bytes.byteLength });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // Find the first bad byte line by line (the fatal decoder says only that there is one).
    let line = 1;
    let start = 0;
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i <= bytes.byteLength; i++) {
      if (i < bytes.byteLength && bytes[i] !== 0x0a) continue;
      const slice = bytes.subarray(start, i);
      try {
        strict.decode(slice);
      } catch {
        const good = new TextDecoder('utf-8').decode(slice);
        const bad = good.indexOf('\ufffd');
        const field = good.slice(0, Math.max(0, bad)).split(',').length;
        throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `line ${line}, field ${field}: not UTF-8 text; save the sheet as "CSV UTF-8"`, { line, field, reason: 'encoding' });
      }
      line++;
      start = i + 1;
    }
    throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', 'not UTF-8 text', { line: 1, reason: 'encoding' });
  }
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (a quote inside doubled),
 * CRLF or LF line ends. A leading UTF-8 BOM is dropped: spreadsheets save Vietnamese CSV with
 * one. Returns rows of fields with the 1-based line each row starts on, for error messages.
 */
export function parseCsv(text: string, limits = CSV_LIMITS): { line: number; fields: string[] }[] {
  // Characters, not bytes, here: a UTF-8 file of maxBytes never has more characters than that.
  if (text.length > limits.maxBytes) throw new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `the file has ${text.length} characters, more than ${limits.maxBytes}`, { line: 1, reason: 'too_large' });
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
    if (!(fields.length === 1 && fields[0] === '')) {
      if (rows.length >= limits.maxRows) throw new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `line ${rowLine}: more than ${limits.maxRows} rows`, { line: rowLine, reason: 'too_large' });
      rows.push({ line: rowLine, fields });
    }
    fields = [];
    field = '';
  };
  while (i < s.length) {
    const c = s[i]!;
    // A NUL is never text: the file is binary, or UTF-16 read as UTF-8.
    if (c === '\u0000') throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `line ${line}, field ${fields.length + 1}: a NUL byte; save the sheet as "CSV UTF-8"`, { line, field: fields.length + 1, reason: 'nul' });
    if (field.length >= limits.maxFieldChars) {
      throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `line ${rowLine}, field ${fields.length + 1}: longer than ${limits.maxFieldChars} characters${quoted ? ' (a quote not closed?)' : ''}`, { line: rowLine, field: fields.length + 1, reason: 'field_too_long' });
    }
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
  // A leading = + - @ (or tab / CR, which some spreadsheets skip before one) would run as a
  // formula (CSV injection, OWASP): prefix a quote. Plain negative numbers stay numbers.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',') + '\r\n';
}
