import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../ids.ts';

export const ArmBodySchema = Type.Object({ armed: Type.Boolean(), mode: Type.Optional(Type.Union([Type.Literal('away'), Type.Literal('home')])) }, { $id: 'ArmBody', additionalProperties: false });
export type ArmBody = Static<typeof ArmBodySchema>;

/** Sharing a camera with police is off by default and always ends: 5 minutes to 24 hours. */
export const ShareBodySchema = Type.Object(
  { deviceId: Id, cameraId: Id, minutes: Type.Integer({ minimum: 5, maximum: 1440 }) },
  { $id: 'ShareBody', additionalProperties: false },
);
export type ShareBody = Static<typeof ShareBodySchema>;

/** Deleting a household's data needs its id typed again, so a stray click cannot do it. */
export const DeleteDataBodySchema = Type.Object({ confirm: Id }, { $id: 'DeleteDataBody', additionalProperties: false });
export type DeleteDataBody = Static<typeof DeleteDataBodySchema>;
