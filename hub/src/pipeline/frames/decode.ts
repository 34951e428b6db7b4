import sharp from 'sharp';
import { KhoaError } from '@khoa/protocol';
import type { RgbImage } from '../types.ts';

export interface DecodeLimits {
  /** Refuse images with more pixels than this before decoding them (decompression bombs). */
  maxInputPixels: number;
  /** Refuse either side longer than this. */
  maxSide: number;
  /** Shrink on load so the decoded frame is at most this wide (detection needs no more). */
  maxDecodeWidth: number;
}

export const defaultDecodeLimits: DecodeLimits = {
  maxInputPixels: 40_000_000,
  maxSide: 16_384,
  maxDecodeWidth: 1920,
};

/** A decoded frame plus how its pixels map back to the source image. */
export interface DecodedFrame extends RgbImage {
  sourceWidth: number;
  sourceHeight: number;
  /** Source pixels per decoded pixel (1 unless shrunk on load). */
  scale: number;
}

// libvips keeps a cache of decoded images for reuse; frames never repeat, so it only costs memory.
sharp.cache(false);

function mapSharpError(err: unknown, bytes: number): KhoaError {
  const message = (err as Error)?.message ?? String(err);
  if (/pixel limit|exceeds/i.test(message)) return new KhoaError('KHOA_ERR_IMAGE_TOO_LARGE', message, { bytes }, { cause: err });
  return new KhoaError('KHOA_ERR_IMAGE_DECODE', message, { bytes }, { cause: err });
}

/**
 * Decodes a JPEG (or PNG, for still images) once, to packed RGB, shrinking on load when the
 * frame is wider than detection needs. The header is read first so oversized images are
 * refused before any pixel is decoded; truncated data fails instead of yielding a grey tail.
 */
export async function decodeImage(input: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Promise<DecodedFrame> {
  if (input.byteLength < 4) throw new KhoaError('KHOA_ERR_IMAGE_DECODE', 'empty image', { bytes: input.byteLength });
  const options = { limitInputPixels: limits.maxInputPixels, failOn: 'truncated' as const, sequentialRead: true };
  let width: number | undefined, height: number | undefined;
  try {
    ({ width, height } = await sharp(input, options).metadata());
  } catch (err) {
    throw mapSharpError(err, input.byteLength);
  }
  if (!width || !height) throw new KhoaError('KHOA_ERR_IMAGE_DECODE', 'image has no dimensions', { bytes: input.byteLength });
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxInputPixels) {
    throw new KhoaError('KHOA_ERR_IMAGE_TOO_LARGE', `${width}x${height}`, { width, height, maxSide: limits.maxSide, maxPixels: limits.maxInputPixels });
  }
  try {
    let pipeline = sharp(input, options).removeAlpha().toColourspace('srgb');
    if (width > limits.maxDecodeWidth) pipeline = pipeline.resize({ width: limits.maxDecodeWidth, fastShrinkOnLoad: true });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new KhoaError('KHOA_ERR_IMAGE_DECODE', `decoded to ${info.channels} channels`, { channels: info.channels });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      sourceWidth: width,
      sourceHeight: height,
      scale: width / info.width,
    };
  } catch (err) {
    if (err instanceof KhoaError) throw err;
    throw mapSharpError(err, input.byteLength);
  }
}
