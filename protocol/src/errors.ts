/**
 * The catalogue of Khoa's coded errors. Codes are grouped by subsystem so a log line
 * or an HTTP body tells at once where a failure came from. Every code is listed here
 * with its default message; throw them through `new KhoaError(code, context)`.
 */
export const errorCatalogue = {
  // config: settings files and environment
  KHOA_ERR_CONFIG_INVALID: 'configuration is invalid',
  KHOA_ERR_CONFIG_FILE: 'configuration file cannot be read',
  // protocol: topics and payloads from outside
  KHOA_ERR_TOPIC_INVALID: 'MQTT topic does not match the khoa/v1 contract',
  KHOA_ERR_PAYLOAD_INVALID: 'payload does not match its schema',
  KHOA_ERR_PAYLOAD_TOO_LARGE: 'payload is larger than allowed',
  KHOA_ERR_FRAME_INVALID: 'camera frame envelope is malformed',
  // broker: connections, authentication and authorisation
  KHOA_ERR_PORT_IN_USE: 'a port is already in use',
  KHOA_ERR_AUTH_FAILED: 'device credentials were refused',
  KHOA_ERR_NOT_AUTHORISED: 'not authorised',
  // device: registry and provisioning
  KHOA_ERR_DEVICE_UNKNOWN: 'device is not registered',
  KHOA_ERR_DEVICE_EXISTS: 'device already exists',
  KHOA_ERR_HOUSEHOLD_UNKNOWN: 'household is not registered',
  KHOA_ERR_AREA_UNKNOWN: 'area is not registered',
  // storage
  KHOA_ERR_STORAGE: 'storage failed',
  KHOA_ERR_STORAGE_BUSY: 'the database is busy (another program is writing to it); try again in a moment',
  // pipeline: frames, motion, detection
  KHOA_ERR_IMAGE_DECODE: 'image cannot be decoded',
  KHOA_ERR_IMAGE_TOO_LARGE: 'image dimensions are larger than allowed',
  KHOA_ERR_VIDEO_INPUT: 'video input cannot be read',
  KHOA_ERR_MODEL_LOAD: 'detector model cannot be loaded',
  KHOA_ERR_WORKER_FAILED: 'a pipeline worker failed',
  // camera: discovery and capture on the edge
  KHOA_ERR_CAMERA_UNREACHABLE: 'camera cannot be reached',
  KHOA_ERR_CAMERA_AUTH: 'camera refused the credentials',
  KHOA_ERR_CAMERA_PROTOCOL: 'camera answered with something that is not valid ONVIF',
  KHOA_ERR_CAMERA_TIMEOUT: 'camera did not answer in time',
  KHOA_ERR_CAPTURE_FAILED: 'capture process failed',
  // agent
  KHOA_ERR_DRIVER: 'lock driver failed',
  KHOA_ERR_QUEUE_FULL: 'offline queue is full',
  // http
  KHOA_ERR_HTTP_BAD_REQUEST: 'request is invalid',
  KHOA_ERR_HTTP_UNAUTHENTICATED: 'login required',
  KHOA_ERR_HTTP_FORBIDDEN: 'not allowed for this account',
  KHOA_ERR_HTTP_NOT_FOUND: 'not found',
  KHOA_ERR_HTTP_RATE_LIMITED: 'too many requests',
  KHOA_ERR_HTTP_CONFLICT: 'conflicts with the current state',
} as const;

export type KhoaErrorCode = keyof typeof errorCatalogue;

/** HTTP status for the codes that can reach an HTTP client; everything else is a 500. */
export const httpStatusOf: Partial<Record<KhoaErrorCode, number>> = {
  KHOA_ERR_HTTP_BAD_REQUEST: 400,
  KHOA_ERR_PAYLOAD_INVALID: 400,
  KHOA_ERR_PAYLOAD_TOO_LARGE: 413,
  KHOA_ERR_IMAGE_DECODE: 400,
  KHOA_ERR_IMAGE_TOO_LARGE: 413,
  KHOA_ERR_HTTP_UNAUTHENTICATED: 401,
  KHOA_ERR_AUTH_FAILED: 401,
  KHOA_ERR_HTTP_FORBIDDEN: 403,
  KHOA_ERR_NOT_AUTHORISED: 403,
  KHOA_ERR_HTTP_NOT_FOUND: 404,
  KHOA_ERR_DEVICE_UNKNOWN: 404,
  KHOA_ERR_HOUSEHOLD_UNKNOWN: 404,
  KHOA_ERR_AREA_UNKNOWN: 404,
  KHOA_ERR_DEVICE_EXISTS: 409,
  KHOA_ERR_HTTP_CONFLICT: 409,
  KHOA_ERR_HTTP_RATE_LIMITED: 429,
  KHOA_ERR_STORAGE_BUSY: 503,
};

export class KhoaError extends Error {
  readonly code: KhoaErrorCode;
  /** Machine-readable facts about the failure (ids, setting names, limits); never secrets. */
  readonly context: Record<string, unknown>;

  constructor(code: KhoaErrorCode, detail?: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(detail ? `${errorCatalogue[code]}: ${detail}` : errorCatalogue[code], options);
    this.name = 'KhoaError';
    this.code = code;
    this.context = context;
  }

  toJSON(): { code: KhoaErrorCode; message: string; context: Record<string, unknown> } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

export function isKhoaError(err: unknown, code?: KhoaErrorCode): err is KhoaError {
  return err instanceof KhoaError && (code === undefined || err.code === code);
}
