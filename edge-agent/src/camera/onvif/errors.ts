import { KhoaError, isKhoaError } from '@khoa/protocol';

/**
 * node-onvif reports every failure as a plain Error whose message is the only clue (it wraps
 * them as "Failed to initialize the device: Error: …"). This maps those messages onto the
 * agent's coded errors so the household sees "wrong password" rather than a stack trace.
 */
const AUTH = /\b401\b|NotAuthorized|not authori[sz]ed|Unauthorized|authentication/i;
const UNREACHABLE = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET|EADDRNOTAVAIL/;
const HANG_UP = /socket hang up|ETIMEDOUT|ESOCKETTIMEDOUT/;

export interface ClassifyContext {
  /** What was being done, for the message: "reading camera at http://…". */
  doing: string;
  /** How long the call ran; node-onvif aborts a request after its HTTP timeout with "socket hang up". */
  elapsedMs: number;
  httpTimeoutMs: number;
  context?: Record<string, unknown>;
}

export function classifyOnvifError(err: unknown, c: ClassifyContext): KhoaError {
  if (isKhoaError(err)) return err;
  const raw = err instanceof Error ? err.message : String(err);
  // Keep messages short and single-line; cameras put whole HTML pages in their faults.
  const msg = [...raw.replace(/\s+/g, ' ')].filter((ch) => ch.charCodeAt(0) >= 0x20).join('').slice(0, 160);
  const ctx = { ...c.context, cause: msg };
  const detail = `${c.doing}: ${msg}`;
  if (AUTH.test(raw)) return new KhoaError('KHOA_ERR_CAMERA_AUTH', `${c.doing}: the camera refused the user name or password`, ctx, { cause: err });
  if (UNREACHABLE.test(raw)) return new KhoaError('KHOA_ERR_CAMERA_UNREACHABLE', detail, ctx, { cause: err });
  if (HANG_UP.test(raw)) {
    const timedOut = c.elapsedMs >= c.httpTimeoutMs * 0.9;
    return new KhoaError(timedOut ? 'KHOA_ERR_CAMERA_TIMEOUT' : 'KHOA_ERR_CAMERA_UNREACHABLE', detail, ctx, { cause: err });
  }
  // Anything else is the camera answering something we cannot use: bad XML, a fault for an
  // action it does not implement, or a reply that lacks the fields node-onvif dereferences.
  return new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', detail, ctx, { cause: err });
}
