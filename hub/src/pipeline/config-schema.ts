import { Type, type Static } from '@sinclair/typebox';
import { compile, KhoaError } from '@khoa/protocol';

/**
 * Per-camera pipeline settings as the hub's settings file or API may carry them: every field
 * optional, ranges enforced, unknown keys refused. The defaults live in code (camera.ts,
 * motion/index.ts, track/index.ts) and are stated in each description; a schema `default`
 * would be filled in by the validator and then override the nested form of the same setting
 * (`sensitivity` over `motion.sensitivity`). Checked by `configureCamera`, `cameraDefaults` and
 * the hub's `pipeline.cameraDefaults` / `pipeline.cameras` settings.
 */
const Point = Type.Tuple([Type.Number({ minimum: 0, maximum: 1 }), Type.Number({ minimum: 0, maximum: 1 })]);
const Polygon = Type.Array(Point, { minItems: 3, maxItems: 64, description: 'points [x, y] as fractions of frame width and height (0..1), in order round the outline' });
const Polygons = (description: string) => Type.Array(Polygon, { maxItems: 32, description });

const fields = {
  sensitivity: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'motion: 0 only big strong changes .. 1 small faint ones (default 0.5)' })),
  masks: Type.Optional(Polygons('motion is ignored inside these areas (trees, a TV, the street); default none')),
  zones: Type.Optional(Polygons('only people whose feet are inside one of these areas raise alerts; default none, i.e. the whole view')),
  reportScore: Type.Optional(Type.Number({ minimum: 0.05, maximum: 1, description: 'least score of a detection reported in frame events (default 0.45)' })),
  maxRegions: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'most regions searched per frame (default 4)' })),
  fullScanMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'search the whole view at least this often; 0 never (default 60000)' })),
  motion: Type.Optional(
    Type.Object(
      {
        sensitivity: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'as `sensitivity` (default 0.5)' })),
        planeHeight: Type.Optional(Type.Integer({ minimum: 60, maximum: 360, description: 'rows of the greyscale plane motion runs on (default 160)' })),
        learningRate: Type.Optional(Type.Number({ minimum: 0.001, maximum: 0.5, description: 'background learning rate per frame (default 0.08)' })),
        globalChangeFraction: Type.Optional(Type.Number({ minimum: 0.1, maximum: 1, description: 'share of the view changing at once that counts as a lighting change (default 0.45)' })),
        settleFrames: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, description: 'frames after a lighting change spent following the image (default 3)' })),
        blindedStdDev: Type.Optional(Type.Number({ minimum: 0, maximum: 64, description: 'grey-level spread under which the view is flat (default 6)' })),
        blindedAfterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'a flat view this long makes the camera blinded (default 5000)' })),
        masks: Type.Optional(Polygons('as `masks`')),
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
        zones: Type.Optional(Polygons('as `zones`')),
        reidentifyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
        stationaryAfterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
        stationaryRecheckMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
      },
      { additionalProperties: false },
    ),
  ),
};

export const CameraConfigSchema = Type.Object(fields, { $id: 'PipelineCameraConfig', additionalProperties: false });
/** The same object without an `$id`, to embed in other schemas (the hub's settings) more than once. */
export const cameraConfigObject = (opts: { default?: object; description?: string } = {}) => Type.Object(fields, { additionalProperties: false, ...opts });
export type CameraConfigValue = Static<typeof CameraConfigSchema>;

export const cameraConfigValidator = compile(CameraConfigSchema, 'KHOA_ERR_CONFIG_INVALID');

type Pt = readonly [number, number];
const cross = (o: Pt, a: Pt, b: Pt): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
/** Proper crossing of segments ab and cd (touching at a point does not count). */
const segmentsCross = (a: Pt, b: Pt, c: Pt, d: Pt): boolean => {
  const d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
};

/**
 * Why a polygon cannot serve as a zone or mask, or undefined when it can. The schema checks
 * the numbers; this checks the shape: a polygon with no area (points on a line, all the same)
 * contains nothing, and one whose edges cross (a bow tie, points out of order) contains
 * something other than what its author drew.
 */
export function polygonProblem(poly: readonly Pt[]): string | undefined {
  const n = poly.length;
  for (let i = 0; i < n; i++)
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // neighbours through the closing edge
      if (segmentsCross(poly[i]!, poly[(i + 1) % n]!, poly[j]!, poly[(j + 1) % n]!)) return `has crossing edges (${i}→${i + 1} and ${j}→${(j + 1) % n}): list the points in order round the outline`;
    }
  let area2 = 0;
  for (let i = 0; i < n; i++) area2 += cross([0, 0], poly[i]!, poly[(i + 1) % n]!);
  // 1e-6 of the frame: a few pixels even at 4K.
  if (Math.abs(area2) / 2 < 1e-6) return 'has no area (its points are on one line)';
  return undefined;
}

/**
 * Checks one camera's settings (schema, then polygon shapes) and throws KHOA_ERR_CONFIG_INVALID
 * naming the setting, e.g. `pipeline.cameras.agent1/door.zones[0]`. `value` is not changed.
 */
export function assertCameraConfig(value: unknown, where = 'camera'): asserts value is CameraConfigValue {
  const r = cameraConfigValidator.check(structuredClone(value));
  if (!r.ok) {
    const path = String(r.error.context.path ?? '').replace(/^\(root\)$/, '');
    // "configuration is invalid: /zones/0 must NOT have fewer than 3 items" → the words after the path.
    const detail = r.error.message.replace(/^[^:]*: \S+ /, '');
    const setting = `${where}${path.replaceAll('/', '.').replace(/\.(\d+)/g, '[$1]')}`;
    if (/additional properties/.test(detail)) {
      const at = path.split('/').filter(Boolean).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
      const known = path === '' ? Object.keys(fields) : Object.keys((fields[path.slice(1) as 'motion' | 'tracker']?.properties as object | undefined) ?? {});
      const unknown = typeof at === 'object' && at ? Object.keys(at).find((k) => !known.includes(k)) : undefined;
      if (unknown) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `unknown setting "${setting}.${unknown}"`, { setting: `${setting}.${unknown}` });
    }
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${setting} ${detail}`, { setting });
  }
  const c = value as CameraConfigValue;
  const lists: [string, Static<typeof Polygon>[] | undefined][] = [
    ['masks', c.masks], ['zones', c.zones], ['motion.masks', c.motion?.masks], ['tracker.zones', c.tracker?.zones],
  ];
  for (const [name, polys] of lists)
    polys?.forEach((p, i) => {
      const problem = polygonProblem(p);
      if (problem) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${where}.${name}[${i}] ${problem}`, { setting: `${where}.${name}[${i}]` });
    });
}
