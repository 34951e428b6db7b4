import { createRequire } from 'node:module';
import { enterDecode, leaveDecode } from './decode-guard.ts';

/**
 * libjpeg-turbo, called straight (@julusian/jpeg-turbo: prebuilt for linux x64, arm and arm64
 * in its npm tarball, the library bundled beside the addon; an optional dependency, held at
 * 2.3 because 3.x is built for N-API 10, which Node 20 lacks, and crashes on load). A 720p camera frame decodes here in 1.8-1.9 ms
 * against 3.9-5.5 ms through sharp, whose libvips pipeline (tiles, threads, an output copy)
 * costs more than the JPEG itself; at 360p 0.6 against 2.1 ms. It was the largest part of
 * what the pipeline adds around inference.
 *
 * Its decoder is strict: any libjpeg warning (a corrupt segment, a truncated scan) is an
 * error, with no message worth showing. So it only takes the common case and says
 * `undefined` for everything else, which sharp then decodes or refuses with a precise error.
 *
 * The addon aborts the whole process (`terminate called after throwing Napi::Error`) when
 * the worker thread calling it is terminated mid-call, in its promise version and its
 * synchronous one alike. So the synchronous one is used (at 2 ms a frame, blocking the
 * worker's own thread costs less than a thread hop), inside decode-guard.ts's guard.
 */
interface TurboBinding {
  FORMAT_RGB: number;
  decompressSync(image: Buffer, options: { format: number }): { data: Buffer; width: number; height: number; size: number };
}

function load(): TurboBinding | undefined {
  try {
    return createRequire(import.meta.url)('@julusian/jpeg-turbo') as TurboBinding;
  } catch {
    // No prebuilt addon for this platform: sharp decodes everything, only slower.
    return undefined;
  }
}

const turbo = load();

/** Whether frames are decoded by libjpeg-turbo here (else by sharp). */
export const turboAvailable = turbo !== undefined;

/**
 * Decodes a YCbCr or greyscale JPEG of the expected size to packed RGB; undefined when
 * libjpeg-turbo is missing or refuses the data (the caller falls back to sharp).
 */
export function turboDecode(input: Uint8Array, width: number, height: number): Uint8Array | undefined {
  if (!turbo) return undefined;
  if (!enterDecode()) return undefined; // the thread is about to be terminated: sharp's turn
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    const r = turbo.decompressSync(buf, { format: turbo.FORMAT_RGB });
    if (r.width !== width || r.height !== height || r.size !== width * height * 3) return undefined;
    return new Uint8Array(r.data.buffer, r.data.byteOffset, r.size);
  } catch {
    return undefined;
  } finally {
    leaveDecode();
  }
}
