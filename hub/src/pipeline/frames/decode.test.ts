import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { decodeImage } from './decode.ts';
import { media } from '../testing/media.ts';

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isKhoaError(err) ? err.code : `not coded: ${(err as Error).message}`;
  }
};

describe('decode', () => {
  it('decodes a JPEG to RGB once, at source size', async () => {
    const f = await decodeImage(await readFile(media('messi5.jpg')));
    expect([f.width, f.height, f.sourceWidth, f.sourceHeight, f.scale]).toEqual([548, 342, 548, 342, 1]);
    expect(f.data.length).toBe(548 * 342 * 3);
  });

  it('shrinks on load past the width detection needs, and says by how much', async () => {
    const big = await sharp(media('building.jpg')).resize(3472, 2400).jpeg().toBuffer();
    const f = await decodeImage(big, { maxDecodeWidth: 1736, maxInputPixels: 40e6, maxSide: 16384 });
    expect(f.width).toBe(1736);
    expect(f.scale).toBe(2);
  });

  it('decodes greyscale JPEGs to three channels', async () => {
    const grey = await sharp(media('home.jpg')).greyscale().jpeg().toBuffer();
    const f = await decodeImage(grey);
    expect(f.data.length).toBe(f.width * f.height * 3);
  });

  it('refuses truncated JPEGs with a coded error', async () => {
    const jpeg = await readFile(media('messi5.jpg'));
    for (const cut of [0.3, 0.7, 0.95]) {
      expect(await code(decodeImage(jpeg.subarray(0, Math.round(jpeg.length * cut))))).toBe('KHOA_ERR_IMAGE_DECODE');
    }
  });

  it('refuses garbage and empty input', async () => {
    expect(await code(decodeImage(Buffer.from('not an image at all')))).toBe('KHOA_ERR_IMAGE_DECODE');
    expect(await code(decodeImage(new Uint8Array(0)))).toBe('KHOA_ERR_IMAGE_DECODE');
    expect(await code(decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0])))).toBe('KHOA_ERR_IMAGE_DECODE');
  });

  it('reads JPEG sizes from the header like libvips does', async () => {
    const { jpegSize } = await import('./jpeg-header.ts');
    for (const name of ['messi5.jpg', 'astronaut.jpg', 'building.jpg', 'home.jpg']) {
      const buf = await readFile(media(name));
      const meta = await sharp(buf).metadata();
      expect(jpegSize(buf), name).toMatchObject({ width: meta.width, height: meta.height });
    }
    const progressive = await sharp(media('fruits.jpg')).jpeg({ progressive: true }).toBuffer();
    expect(jpegSize(progressive)).toEqual({ width: 512, height: 480, components: 3 });
    expect(jpegSize(Buffer.from('GIF89a'))).toBeUndefined();
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    // A real 64x64 JPEG whose SOF0 header is patched to claim 30000x30000 pixels.
    const jpeg = Buffer.from(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).jpeg().toBuffer());
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    jpeg.writeUInt16BE(30000, sof + 5);
    jpeg.writeUInt16BE(30000, sof + 7);
    expect(await code(decodeImage(jpeg))).toBe('KHOA_ERR_IMAGE_TOO_LARGE');
  });
});
