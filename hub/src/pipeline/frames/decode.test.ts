import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { decodeImage } from './decode.ts';
import { turboAvailable, turboDecode } from './jpeg-turbo.ts';
import { closeDecodeGuard, newDecodeGuard } from './decode-guard.ts';
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

  it('decodes camera JPEGs with libjpeg-turbo, to the pixels sharp gives (within IDCT rounding)', async () => {
    expect(turboAvailable).toBe(true); // prebuilt for linux x64, arm and arm64
    for (const [name, grey] of [['basketball1.jpg', false], ['messi5.jpg', false], ['chelsea.jpg', false], ['home.jpg', true]] as const) {
      let jpeg = await readFile(media(name));
      if (grey) jpeg = await sharp(jpeg).greyscale().jpeg().toBuffer();
      const fast = turboDecode(jpeg, ...(await sharp(jpeg).metadata().then((m) => [m.width, m.height] as const)));
      expect(fast, name).toBeDefined();
      const viaDecode = await decodeImage(jpeg);
      expect(Buffer.from(viaDecode.data).equals(Buffer.from(fast!)), name).toBe(true); // decodeImage took this path
      const ref = await sharp(jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer();
      expect(ref.length, name).toBe(fast!.length);
      let sum = 0, max = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ref[i]! - fast![i]!);
        sum += d;
        max = Math.max(max, d);
      }
      // Channel order, orientation and chroma upsampling match; what differs is the IDCT: this
      // addon asks for libjpeg's fast one, sharp uses the accurate one. Measured on the test
      // photos and a 720p frame: mean 0.4-1.3 levels, most 0-3, at most 17 on one photo.
      expect(sum / ref.length, name).toBeLessThan(2);
      expect(max, name).toBeLessThanOrEqual(24);
    }
  });

  it('hands a JPEG with a corrupt segment to sharp, which decodes what it can, as before', async () => {
    const jpeg = Buffer.from(await readFile(media('messi5.jpg')));
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    for (let i = sos + 4000; i < sos + 4040; i++) jpeg[i] = 0x5a;
    expect(turboDecode(jpeg, 548, 342)).toBeUndefined(); // libjpeg-turbo refuses any warning
    const f = await decodeImage(jpeg);
    expect([f.width, f.height, f.data.length]).toEqual([548, 342, 548 * 342 * 3]);
  });

  it('says undefined, not a wrong image, when the header size does not match the data', async () => {
    const jpeg = await readFile(media('messi5.jpg'));
    expect(turboDecode(jpeg, 548, 341)).toBeUndefined();
  });

  it('lets the pool terminate a decoding worker once its guard is closed, never inside libjpeg-turbo', async () => {
    // Terminating a thread inside the addon aborts the process (vitest reports the fork lost).
    const jpeg = await readFile(media('basketball1.jpg'));
    for (let i = 0; i < 12; i++) {
      const decodeGuard = newDecodeGuard();
      const w = new Worker(new URL('../detect/boot.mjs', import.meta.url), {
        workerData: { entry: new URL('../testing/decode-loop-entry.ts', import.meta.url).href, jpeg, width: 640, height: 480, decodeGuard },
      });
      await new Promise((r) => w.once('message', r));
      await new Promise((r) => setTimeout(r, 1 + (i % 5)));
      expect(await closeDecodeGuard(decodeGuard)).toBe(true);
      expect(Atomics.load(decodeGuard, 0)).toBe(2); // closed: the loop decodes no more
      await w.terminate();
    }
    expect(turboDecode(jpeg, 640, 480)?.length).toBe(640 * 480 * 3); // still here, still decoding
  });
});
