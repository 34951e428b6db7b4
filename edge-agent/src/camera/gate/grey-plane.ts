import sharp from 'sharp';
import { KhoaError } from '@khoa/protocol';

/** A small greyscale picture of a frame: what the gate compares. */
export interface GreyPlane {
  data: Uint8Array;
  width: number;
  height: number;
}

// Each frame is decoded once and never again; libvips' operation cache would only hold memory.
sharp.cache(false);

/**
 * Decodes a JPEG straight to a `width`-wide greyscale plane. libvips shrinks JPEGs on load
 * (DCT scaling by 2, 4 or 8), so a 640×360 frame is never decoded at full size.
 */
export async function greyPlane(jpeg: Buffer, width: number): Promise<GreyPlane> {
  try {
    const { data, info } = await sharp(jpeg, { failOn: 'truncated', sequentialRead: true })
      .resize({ width, kernel: 'linear', fastShrinkOnLoad: true })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // greyscale() of an RGB JPEG yields one channel; guard anyway so the gate never reads past a row.
    if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    throw new KhoaError('KHOA_ERR_IMAGE_DECODE', err instanceof Error ? err.message : String(err), { bytes: jpeg.length });
  }
}
