import { Type, type Static } from '@sinclair/typebox';
import { compile } from '../validate.ts';

export const CAMERA_STATES = [
  'streaming',
  /** The stream dropped and the agent is retrying with backoff. */
  'reconnecting',
  /** Retries have failed for longer than the agent's lost threshold. */
  'lost',
  /** Frames arrive but show nothing: covered, painted, pointed at a wall, or no IR at night. */
  'blinded',
] as const;
export type CameraState = (typeof CAMERA_STATES)[number];

/** `…/cam/{cameraId}/state`, retained. */
export const CameraStateSchema = Type.Object(
  {
    state: Type.Union(CAMERA_STATES.map((s) => Type.Literal(s))),
    ts: Type.Integer({ minimum: 0 }),
    detail: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { $id: 'CameraState', additionalProperties: false },
);
export type CameraStateMessage = Static<typeof CameraStateSchema>;
export const cameraStateValidator = compile(CameraStateSchema);
