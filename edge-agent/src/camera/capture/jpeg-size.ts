/**
 * Reads width and height from a JPEG's SOF segment without decoding it (ITU-T T.81 B.2.2).
 * Used for snapshots, which do not pass through the stream splitter.
 */
export function jpegSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const code = b[i + 1] as number;
    if (code === 0xff) {
      i++;
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (code === 0xda || len < 2) return undefined;
    i += 2 + len;
  }
  return undefined;
}
