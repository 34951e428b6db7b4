import type { Static, TSchema } from '@sinclair/typebox';
import { parseJsonPayload, type KhoaError, type Validator } from '@khoa/protocol';

/** Why a payload was dropped; the `reason` label of khoa_payload_rejected_total. */
export type PayloadRejection = 'too_large' | 'utf8' | 'json' | 'schema' | 'frame';

/** A payload refused by its schema: ingest drops it, counts it by reason and logs it. */
export class PayloadRejected extends Error {
  constructor(
    readonly reason: PayloadRejection,
    readonly error: KhoaError,
  ) {
    super(error.message);
    this.name = 'PayloadRejected';
  }
}

/** Parses a JSON payload with protocol's validator, or throws PayloadRejected with the reason. */
export function parsePayload<S extends TSchema>(v: Validator<S>, payload: Buffer, maxBytes: number): Static<S> {
  const r = parseJsonPayload(v, payload, maxBytes);
  if (r.ok) return r.value;
  throw new PayloadRejected(reasonOf(r.error), r.error);
}

export function reasonOf(error: KhoaError): PayloadRejection {
  if (error.code === 'KHOA_ERR_PAYLOAD_TOO_LARGE') return 'too_large';
  if (error.code === 'KHOA_ERR_FRAME_INVALID') return 'frame';
  const r = error.context.reason;
  return r === 'utf8' || r === 'json' ? r : 'schema';
}
