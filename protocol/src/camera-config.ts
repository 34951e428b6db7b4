import { Type, type Static } from '@sinclair/typebox';
import { Id } from './ids.ts';
import { KhoaError } from './errors.ts';
import { compile, type Result } from './validate.ts';

/**
 * One camera in the agent's config file (`AgentConfig.cameras[]`). Exactly one of `onvif`,
 * `rtspUrl` or `file` says where frames come from. Credentials in here stay on the Pi: the
 * agent's registration carries only `RegisteredCamera`, which has no field for them.
 * Defaults are filled in by the validator (ajv `useDefaults`).
 */

// node-onvif puts the user name into the SOAP header unescaped and refuses non-ASCII, so the
// schema admits only printable ASCII without XML specials.
const Credential = Type.String({ pattern: '^[\\x20-\\x7e]*$', maxLength: 128 });
const XmlSafeCredential = Type.String({ pattern: '^[^<>&"\\x00-\\x1f\\x7f-\\uffff]*$', maxLength: 128 });

export const CameraOnvifSchema = Type.Object(
  {
    /** Device service URL, as found by WS-Discovery: `http://192.168.1.20/onvif/device_service`. */
    xaddr: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 512 })),
    /** Manual add: `host` or `host:port`, device service at the standard path. */
    address: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.\\-\\[\\]:]+$', maxLength: 260 })),
    user: Type.Optional(XmlSafeCredential),
    pass: Type.Optional(XmlSafeCredential),
    /** Media profile token to use; by default the smallest profile at least `minWidth` wide (the sub-stream). */
    profile: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    minWidth: Type.Integer({ minimum: 16, maximum: 8192, default: 480 }),
  },
  { additionalProperties: false },
);

export const CameraGateSchema = Type.Object(
  {
    /** Off: every captured frame is sent (costly; for diagnosis). */
    enabled: Type.Boolean({ default: true }),
    /** A frame is sent at least this often even without motion, so the hub sees the camera is alive and not covered. */
    keyframeIntervalSec: Type.Number({ minimum: 5, maximum: 86400, default: 300 }),
    /** Width of the greyscale plane the gate compares (height follows the aspect). */
    planeWidth: Type.Integer({ minimum: 32, maximum: 192, default: 80 }),
    /** Grey-level difference (0-255) from the background that marks a pixel as changed. */
    threshold: Type.Integer({ minimum: 1, maximum: 255, default: 24 }),
    /** Share of changed pixels that makes a frame a motion frame. */
    minArea: Type.Number({ minimum: 0, maximum: 1, default: 0.004 }),
    /** Share of changed pixels above which the scene changed as a whole (lights, IR switch): the background is re-learnt. */
    globalChange: Type.Number({ minimum: 0, maximum: 1, default: 0.6 }),
    /** How fast the background follows the scene (running average weight per frame). */
    backgroundAlpha: Type.Number({ minimum: 0.001, maximum: 1, default: 0.05 }),
    /** Frames keep going for this long after motion stops, so the hub sees a person leave. */
    postMotionSec: Type.Number({ minimum: 0, maximum: 60, default: 1 }),
    /** Mean grey level below which a frame is dark. */
    darkLevel: Type.Number({ minimum: 0, maximum: 255, default: 14 }),
    /** Standard deviation of grey levels below which a frame is flat (a covered lens, a wall). */
    flatLevel: Type.Number({ minimum: 0, maximum: 128, default: 5 }),
    /** Dark or flat frames for this long make the camera `blinded`. */
    blindedAfterSec: Type.Number({ minimum: 0, maximum: 3600, default: 10 }),
  },
  { additionalProperties: false, default: {} },
);

export const CameraCaptureSchema = Type.Object(
  {
    /** ffmpeg socket I/O timeout. */
    ioTimeoutSec: Type.Number({ minimum: 1, maximum: 120, default: 5 }),
    /** ffmpeg is killed when the first frame has not come after this long. */
    startTimeoutSec: Type.Number({ minimum: 1, maximum: 300, default: 15 }),
    /** ffmpeg is killed when frames stop for this long. */
    stallTimeoutSec: Type.Number({ minimum: 1, maximum: 300, default: 10 }),
    backoffInitialMs: Type.Integer({ minimum: 10, maximum: 600000, default: 1000 }),
    backoffMaxMs: Type.Integer({ minimum: 10, maximum: 3600000, default: 30000 }),
    /** Without frames this long, the camera is `lost` (an alert at the hub). */
    lostAfterSec: Type.Number({ minimum: 0.1, maximum: 86400, default: 30 }),
    /** Poll the snapshot URI when RTSP keeps failing. */
    snapshotFallback: Type.Boolean({ default: true }),
    snapshotAfterFailures: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    snapshotFps: Type.Number({ minimum: 0.05, maximum: 5, default: 1 }),
    /** Time allowed for the whole ONVIF read (device info, profiles, URIs). */
    onvifTimeoutSec: Type.Number({ minimum: 1, maximum: 300, default: 20 }),
  },
  { additionalProperties: false, default: {} },
);

export const CameraConfigSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 80 })),
    onvif: Type.Optional(CameraOnvifSchema),
    /** `rtsp://[user:pass@]host[:port]/path`. */
    rtspUrl: Type.Optional(Type.String({ pattern: '^rtsps?://[^\\s]+$', maxLength: 1024 })),
    /** Snapshot URI used as a fallback with `rtspUrl` (ONVIF cameras report their own). */
    snapshotUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 1024 })),
    /** Credentials for `rtspUrl` / `snapshotUrl` when not in the URL. */
    user: Type.Optional(Credential),
    pass: Type.Optional(Credential),
    /** A video file, played in a loop (demo and benchmarks). */
    file: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** Frames per second the agent captures and gates. */
    fps: Type.Number({ exclusiveMinimum: 0, maximum: 30, default: 5 }),
    /** Width frames are scaled to (never up); height keeps the aspect. */
    width: Type.Integer({ minimum: 64, maximum: 3840, default: 640 }),
    /** JPEG quality for ffmpeg's MJPEG encoder: 2 (best) to 31. */
    quality: Type.Integer({ minimum: 2, maximum: 31, default: 5 }),
    gate: CameraGateSchema,
    capture: CameraCaptureSchema,
  },
  { $id: 'CameraConfig', additionalProperties: false },
);

export type CameraConfig = Static<typeof CameraConfigSchema>;
export type CameraOnvifConfig = Static<typeof CameraOnvifSchema>;
export type CameraGateConfig = Static<typeof CameraGateSchema>;
export type CameraCaptureConfig = Static<typeof CameraCaptureSchema>;
export const cameraConfigValidator = compile(CameraConfigSchema, 'KHOA_ERR_CONFIG_INVALID');

/**
 * Validates one camera entry and fills its defaults, on a copy. Beyond the schema: exactly one
 * source, and an ONVIF entry needs `xaddr` or `address`.
 */
export function parseCameraConfig(value: unknown): Result<CameraConfig> {
  const r = cameraConfigValidator.check(structuredClone(value));
  if (!r.ok) return r;
  const c = r.value;
  const sources = [c.onvif, c.rtspUrl, c.file].filter((s) => s !== undefined).length;
  if (sources !== 1) {
    return { ok: false, error: new KhoaError('KHOA_ERR_CONFIG_INVALID', `camera ${c.id}: give exactly one of onvif, rtspUrl, file`, { path: `/cameras/${c.id}` }) };
  }
  if (c.onvif && c.onvif.xaddr === undefined && c.onvif.address === undefined) {
    return { ok: false, error: new KhoaError('KHOA_ERR_CONFIG_INVALID', `camera ${c.id}: onvif needs xaddr or address`, { path: `/cameras/${c.id}/onvif` }) };
  }
  return { ok: true, value: c };
}
