import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../ids.ts';

export const AdvisoryBodySchema = Type.Object(
  {
    areaId: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    body: Type.String({ minLength: 1, maxLength: 4000 }),
    lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
    /** Hours until it stops being shown and played; a week by default. */
    hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 90 })),
  },
  { $id: 'AdvisoryBody', additionalProperties: false },
);
export type AdvisoryBody = Static<typeof AdvisoryBodySchema>;
