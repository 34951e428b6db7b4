import { Type, type Static } from '@sinclair/typebox';

/** Photo attached to a tip: base64 JPEG or PNG, at most about 2 MB once decoded. */
export const TIP_PHOTO_MAX_BYTES = 2 * 1024 * 1024;
export const TIP_PHOTO_TYPES = ['image/jpeg', 'image/png'] as const;

export const TipBodySchema = Type.Object(
  {
    text: Type.String({ minLength: 3, maxLength: 4000 }),
    photo: Type.Optional(
      Type.Object(
        {
          type: Type.Union(TIP_PHOTO_TYPES.map((t) => Type.Literal(t))),
          /** base64 without a data: prefix; 4/3 of the byte bound plus padding. */
          data: Type.String({ minLength: 4, maxLength: Math.ceil((TIP_PHOTO_MAX_BYTES * 4) / 3) + 4, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'TipBody', additionalProperties: false },
);
export type TipBody = Static<typeof TipBodySchema>;

export const SosBodySchema = Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { $id: 'SosBody', additionalProperties: false });
export type SosBody = Static<typeof SosBodySchema>;
