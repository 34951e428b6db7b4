import { Type, type Static } from '@sinclair/typebox';
import { compile } from '@khoa/protocol';

/**
 * Per-camera pipeline settings as the hub's settings file or API may carry them: every field
 * optional (defaults in camera.ts, motion/index.ts, track/index.ts), ranges enforced, unknown
 * keys refused. Checked by `configureCamera` and `cameraDefaults`.
 */
const Point = Type.Tuple([Type.Number({ minimum: 0, maximum: 1 }), Type.Number({ minimum: 0, maximum: 1 })]);
const Polygon = Type.Array(Point, { minItems: 3, maxItems: 64, description: 'points as fractions of frame width and height' });
const Polygons = Type.Array(Polygon, { maxItems: 32 });

export const CameraConfigSchema = Type.Object(
  {
    sensitivity: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'motion: 0 only big strong changes .. 1 small faint ones' })),
    masks: Type.Optional(Polygons),
    zones: Type.Optional(Polygons),
    reportScore: Type.Optional(Type.Number({ minimum: 0.05, maximum: 1 })),
    maxRegions: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    fullScanMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'search the whole view at least this often; 0 never' })),
    motion: Type.Optional(
      Type.Object(
        {
          sensitivity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          planeHeight: Type.Optional(Type.Integer({ minimum: 60, maximum: 360 })),
          learningRate: Type.Optional(Type.Number({ minimum: 0.001, maximum: 0.5 })),
          globalChangeFraction: Type.Optional(Type.Number({ minimum: 0.1, maximum: 1 })),
          settleFrames: Type.Optional(Type.Integer({ minimum: 0, maximum: 50 })),
          blindedStdDev: Type.Optional(Type.Number({ minimum: 0, maximum: 64 })),
          blindedAfterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
          masks: Type.Optional(Polygons),
        },
        { additionalProperties: false },
      ),
    ),
    tracker: Type.Optional(
      Type.Object(
        {
          matchIou: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1 })),
          maxMissedMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
          confirmFrames: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
          confirmScore: Type.Optional(Type.Number({ minimum: 0.05, maximum: 1 })),
          historySize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          zones: Type.Optional(Polygons),
          reidentifyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
          stationaryAfterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
          stationaryRecheckMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'PipelineCameraConfig', additionalProperties: false },
);
export type CameraConfigValue = Static<typeof CameraConfigSchema>;

export const cameraConfigValidator = compile(CameraConfigSchema, 'KHOA_ERR_CONFIG_INVALID');
