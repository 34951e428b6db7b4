import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../ids.ts';
import { ROLES } from './roles.ts';
import { Username } from './session.ts';

/** `POST /api/users` (admin): the generated password is returned once, never stored in clear. */
export const NewUserBodySchema = Type.Object(
  {
    username: Username,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    areaId: Type.Optional(Id),
    householdId: Type.Optional(Id),
  },
  { $id: 'NewUserBody', additionalProperties: false },
);
export type NewUserBody = Static<typeof NewUserBodySchema>;
