import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../ids.ts';
import { compile } from '../validate.ts';

export const LOCK_KINDS = ['lock', 'door_sensor', 'lock_with_door', 'keyring'] as const;

export const RegisteredLockSchema = Type.Object(
  {
    id: Id,
    kind: Type.Union(LOCK_KINDS.map((k) => Type.Literal(k))),
    driver: Type.String({ minLength: 1, maxLength: 32 }),
    name: Type.Optional(Type.String({ maxLength: 80 })),
  },
  { additionalProperties: false },
);

/**
 * A camera as the agent reports it. Deliberately no URL or credential fields: camera
 * passwords stay on the Pi, and `additionalProperties: false` refuses them if an agent tries.
 */
export const RegisteredCameraSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 80 })),
    manufacturer: Type.Optional(Type.String({ maxLength: 80 })),
    model: Type.Optional(Type.String({ maxLength: 80 })),
    firmware: Type.Optional(Type.String({ maxLength: 80 })),
    /** Resolution of the stream the agent analyses (usually the sub-stream). */
    width: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
    height: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
    fps: Type.Optional(Type.Number({ minimum: 0, maximum: 240 })),
    /** How the agent found it. */
    source: Type.Union([Type.Literal('onvif'), Type.Literal('rtsp'), Type.Literal('file'), Type.Literal('simulated')]),
  },
  { additionalProperties: false },
);

/** `…/register`: the agent announces itself and what it drives, on every connect. */
export const RegisterSchema = Type.Object(
  {
    agentVersion: Type.String({ minLength: 1, maxLength: 32 }),
    platform: Type.Optional(Type.String({ maxLength: 64 })),
    ts: Type.Integer({ minimum: 0 }),
    locks: Type.Array(RegisteredLockSchema, { maxItems: 64 }),
    cameras: Type.Array(RegisteredCameraSchema, { maxItems: 32 }),
  },
  { $id: 'Register', additionalProperties: false },
);
export type Register = Static<typeof RegisterSchema>;
export type RegisteredLock = Static<typeof RegisteredLockSchema>;
export type RegisteredCamera = Static<typeof RegisteredCameraSchema>;
export const registerValidator = compile(RegisterSchema);
