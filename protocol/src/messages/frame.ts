import { Type, type Static } from '@sinclair/typebox';
import { compile, type Result } from '../validate.ts';
import { KhoaError } from '../errors.ts';

/**
 * `…/cam/{cameraId}/frame` carries a JPEG in a small envelope, so it works the same over
 * MQTT 3.1.1 and 5 (no reliance on user properties):
 *
 *   bytes 0-1  "KF"            magic
 *   byte  2    1               envelope version
 *   bytes 3-4  uint16 BE       header length N (at most FRAME_HEADER_MAX)
 *   N bytes    UTF-8 JSON      FrameHeader
 *   rest       JPEG            starts with FF D8
 */
export const FRAME_MAGIC_0 = 0x4b; // K
export const FRAME_MAGIC_1 = 0x46; // F
export const FRAME_VERSION = 1;
export const FRAME_HEADER_MAX = 4096;
/** A frame larger than this is refused before decoding (a 1080p JPEG is usually 150-500 KB). */
export const FRAME_MAX_BYTES = 4 * 1024 * 1024;

export const FrameHeaderSchema = Type.Object(
  {
    /** Per-camera sequence number, increasing; gaps mean frames the gate or network dropped. */
    seq: Type.Integer({ minimum: 0 }),
    /** Capture time on the agent's clock, epoch ms. */
    ts: Type.Integer({ minimum: 0 }),
    width: Type.Integer({ minimum: 1, maximum: 16384 }),
    height: Type.Integer({ minimum: 1, maximum: 16384 }),
    /** Sent by the periodic health timer rather than because of motion. */
    keyframe: Type.Boolean(),
    /** The edge gate saw motion in this frame. */
    motion: Type.Boolean(),
    /** Motion boxes found on the edge, in frame pixels [x1, y1, x2, y2]; a hint, the hub re-checks. */
    boxes: Type.Optional(Type.Array(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }), { maxItems: 32 })),
  },
  { $id: 'FrameHeader', additionalProperties: false },
);
export type FrameHeader = Static<typeof FrameHeaderSchema>;
export const frameHeaderValidator = compile(FrameHeaderSchema, 'KHOA_ERR_FRAME_INVALID');

export function encodeFrame(header: FrameHeader, jpeg: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > FRAME_HEADER_MAX) throw new KhoaError('KHOA_ERR_FRAME_INVALID', `header of ${json.length} bytes`, { bytes: json.length });
  const out = Buffer.allocUnsafe(5 + json.length + jpeg.byteLength);
  out[0] = FRAME_MAGIC_0;
  out[1] = FRAME_MAGIC_1;
  out[2] = FRAME_VERSION;
  out.writeUInt16BE(json.length, 3);
  json.copy(out, 5);
  out.set(jpeg, 5 + json.length);
  return out;
}

export interface DecodedFrame {
  header: FrameHeader;
  /** A view into the payload, not a copy. */
  jpeg: Buffer;
}

const fail = (detail: string, context: Record<string, unknown> = {}): Result<DecodedFrame> => ({
  ok: false,
  error: new KhoaError('KHOA_ERR_FRAME_INVALID', detail, context),
});

/** Parses an envelope without copying the JPEG. Checks only the envelope; decoding the image is the pipeline's job. */
export function decodeFrame(payload: Buffer): Result<DecodedFrame> {
  if (payload.length > FRAME_MAX_BYTES) {
    return { ok: false, error: new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `frame of ${payload.length} bytes`, { bytes: payload.length, max: FRAME_MAX_BYTES }) };
  }
  if (payload.length < 5 || payload[0] !== FRAME_MAGIC_0 || payload[1] !== FRAME_MAGIC_1) return fail('missing KF magic');
  if (payload[2] !== FRAME_VERSION) return fail(`unsupported envelope version ${payload[2]}`, { version: payload[2] });
  const n = payload.readUInt16BE(3);
  if (n > FRAME_HEADER_MAX || 5 + n > payload.length) return fail(`header length ${n} out of range`, { headerBytes: n });
  let header: unknown;
  try {
    header = JSON.parse(payload.toString('utf8', 5, 5 + n));
  } catch {
    return fail('header is not JSON');
  }
  const checked = frameHeaderValidator.check(header);
  if (!checked.ok) return checked;
  const jpeg = payload.subarray(5 + n);
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return fail('body is not a JPEG (no SOI marker)');
  return { ok: true, value: { header: checked.value, jpeg } };
}
