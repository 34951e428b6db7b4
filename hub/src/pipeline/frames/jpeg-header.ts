/**
 * Width, height and colour components (1 grey, 3 YCbCr, 4 CMYK) from a JPEG's SOF marker, read in JS: every frame needs its size first
 * (limits, plane size) and asking libvips costs a thread-pool round trip. Returns undefined
 * when the bytes are not a JPEG with a readable frame header (the caller then asks sharp,
 * which also gives the precise error).
 */
export function jpegSize(b: Uint8Array): { width: number; height: number; components: number } | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return undefined;
    let marker = b[i + 1]!;
    while (marker === 0xff && i + 2 < b.length) marker = b[++i + 1]!; // fill bytes
    i += 2;
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI / scan before any SOF
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (i + 1 >= b.length) return undefined;
    const len = (b[i]! << 8) | b[i + 1]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 7 > b.length) return undefined;
      if (i + 8 > b.length) return undefined;
      const height = (b[i + 3]! << 8) | b[i + 4]!;
      const width = (b[i + 5]! << 8) | b[i + 6]!;
      const components = b[i + 7]!;
      return width > 0 && height > 0 ? { width, height, components } : undefined;
    }
    i += len;
  }
  return undefined;
}
