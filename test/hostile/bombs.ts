import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

// Hostile images for the decoder tests and the campaign: small files that claim (or hold) huge
// pixel counts, and broken ones. Made here byte by byte; nothing is copied from elsewhere.

/** A real JPEG of `w`×`h` (noise, so it compresses like a camera frame). */
export function goodJpeg(w = 320, h = 240, seed = 1): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: 90 + seed, g: 120, b: 60 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).jpeg({ quality: 80 }).toBuffer();
}

/** Where the SOF marker's height field is in a baseline/progressive JPEG, or -1. */
function sofOffset(jpeg: Uint8Array): number {
  for (let i = 2; i + 9 < jpeg.length; ) {
    if (jpeg[i] !== 0xff) return -1;
    const marker = jpeg[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return i + 5;
    i += 2 + ((jpeg[i + 2]! << 8) | jpeg[i + 3]!);
  }
  return -1;
}

/** A small real JPEG whose frame header claims `w`×`h`: a decoder that believes it allocates w·h·3 bytes. */
export async function jpegClaiming(w: number, h: number): Promise<Buffer> {
  const b = Buffer.from(await goodJpeg(64, 64));
  const at = sofOffset(b);
  if (at < 0) throw new Error('no SOF marker in the generated JPEG');
  b.writeUInt16BE(h, at);
  b.writeUInt16BE(w, at + 2);
  return b;
}

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid PNG of `w`×`h` black 1-bit pixels: tens of KB on disk, w·h pixels decoded (20000² is
 * 400 million, 1.2 GB as RGB). The rows are deflated one stream, as any encoder would.
 */
export function pngBomb(w = 20_000, h = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((1 + Math.ceil(w / 8)) * h); // filter byte 0 + zero pixels per row
  const idat = deflateSync(raw, { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** Broken frames a camera, a bad link or an attacker may send. */
export async function brokenFrames(): Promise<{ truncated: Buffer; onlyHeader: Buffer; soiThenGarbage: Buffer; zeroHeight: Buffer; garbage: Buffer }> {
  const good = await goodJpeg();
  const zero = await jpegClaiming(64, 64);
  zero.writeUInt16BE(0, sofOffset(zero));
  return {
    truncated: good.subarray(0, Math.floor(good.length / 2)),
    onlyHeader: good.subarray(0, 300),
    soiThenGarbage: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(4000, 0x5a)]),
    zeroHeight: zero,
    garbage: Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) & 0xff)),
  };
}
