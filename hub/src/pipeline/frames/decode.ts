import sharp from 'sharp';
import { KhoaError } from '@khoa/protocol';
import type { RgbImage } from '../types.ts';
import { jpegSize } from './jpeg-header.ts';
import { turboDecode } from './jpeg-turbo.ts';

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
  /**
   * Ms the decode itself took, when it ran on the calling thread (libjpeg-turbo): a decode
   * started early has then already happened by the time the frame is analysed.
   */
  decodeMs?: number;
}

// libvips keeps a cache of decoded images for reuse; frames never repeat, so it only costs memory.
sharp.cache(false);

function mapSharpError(err: unknown, bytes: number): KhoaError {
  const message = (err as Error)?.message ?? String(err);
  if (/pixel limit|exceeds/i.test(message)) return new KhoaError('KHOA_ERR_IMAGE_TOO_LARGE', message, { bytes }, { cause: err });
  return new KhoaError('KHOA_ERR_IMAGE_DECODE', message, { bytes }, { cause: err });
}

export interface ImageProbe {
  width: number;
  height: number;
  /**
   * Colour components of a JPEG whose frame header was read: 1 grey, 3 YCbCr (decodes straight
   * to RGB, no colourspace step), 4 CMYK. Undefined for other images.
   */
  jpegComponents?: number;
}

const sharpOptions = (limits: DecodeLimits) => ({ limitInputPixels: limits.maxInputPixels, failOn: 'truncated' as const, sequentialRead: true });

/**
 * Reads only the image header: its size, checked against the limits, so an oversized image
 * (a decompression bomb) is refused before any pixel is decoded.
 */
export async function probeImage(input: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Promise<ImageProbe> {
  if (input.byteLength < 4) throw new KhoaError('KHOA_ERR_IMAGE_DECODE', 'empty image', { bytes: input.byteLength });
  const jpeg = jpegSize(input);
  let { width, height }: { width?: number; height?: number } = jpeg ?? {};
  if (!width || !height) {
    try {
      ({ width, height } = await sharp(input, sharpOptions(limits)).metadata());
    } catch (err) {
      throw mapSharpError(err, input.byteLength);
    }
  }
  if (!width || !height) throw new KhoaError('KHOA_ERR_IMAGE_DECODE', 'image has no dimensions', { bytes: input.byteLength });
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxInputPixels) {
    throw new KhoaError('KHOA_ERR_IMAGE_TOO_LARGE', `${width}x${height}`, { width, height, maxSide: limits.maxSide, maxPixels: limits.maxInputPixels });
  }
  return { width, height, ...(jpeg && { jpegComponents: jpeg.components }) };
}

/**
 * Decodes a JPEG (or PNG, for still images) to packed RGB, once per frame. A grey or YCbCr
 * JPEG at its own size (what cameras send) goes to libjpeg-turbo (see jpeg-turbo.ts);
 * everything else, and whatever libjpeg-turbo refuses, to sharp. Frames wider than
 * `maxDecodeWidth` are shrunk on load (JPEG DCT scaling), as is any `shrink` (1, 2, 4, 8)
 * asked for. Truncated data fails instead of yielding a grey tail.
 */
export async function decodeImage(input: Uint8Array, limits: DecodeLimits = defaultDecodeLimits, probe?: ImageProbe, shrink = 1): Promise<DecodedFrame> {
  const p = probe ?? (await probeImage(input, limits));
  const { width, height, jpegComponents } = p;
  if ((jpegComponents === 3 || jpegComponents === 1) && shrink === 1 && width <= limits.maxDecodeWidth) {
    const t = performance.now();
    const data = turboDecode(input, width, height);
    if (data) return { data, width, height, sourceWidth: width, sourceHeight: height, scale: 1, decodeMs: performance.now() - t };
  }
  return decodeWithSharp(input, limits, p, shrink);
}

/**
 * `decodeImage` through sharp only: libjpeg's accurate IDCT (libjpeg-turbo's addon uses the
 * fast one, a level or two apart), for what must match pixels decoded that way before (the
 * model's conversion reference) or isolate another effect from the decoder's (shrink-on-load).
 */
export async function decodeWithSharp(input: Uint8Array, limits: DecodeLimits = defaultDecodeLimits, probe?: ImageProbe, shrink = 1): Promise<DecodedFrame> {
  const { width, height, jpegComponents } = probe ?? (await probeImage(input, limits));
  try {
    const target = Math.min(Math.ceil(width / shrink), limits.maxDecodeWidth);
    // Grey, CMYK, alpha (PNG stills) need converting to 3-channel sRGB; YCbCr JPEGs (what
    // cameras send) come out of libjpeg as RGB already, and the conversion step costs ~1 ms at 720p.
    let pipeline = jpegComponents === 3 ? sharp(input, sharpOptions(limits)) : sharp(input, sharpOptions(limits)).removeAlpha().toColourspace('srgb');
    if (target < width) pipeline = pipeline.resize({ width: target, fastShrinkOnLoad: true });
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
