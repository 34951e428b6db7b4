import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from './roles.ts';

const Username = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{1,47}$', description: 'lower-case login name' });
const Password = Type.String({ minLength: 1, maxLength: 256 });

export const LoginBodySchema = Type.Object({ username: Username, password: Password }, { $id: 'LoginBody', additionalProperties: false });
export type LoginBody = Static<typeof LoginBodySchema>;

/** New passwords: long enough to resist offline guessing, bounded so argon2 input stays small. */
export const NewPassword = Type.String({ minLength: 10, maxLength: 256 });

export const PasswordChangeBodySchema = Type.Object({ currentPassword: Password, newPassword: NewPassword }, { $id: 'PasswordChangeBody', additionalProperties: false });
export type PasswordChangeBody = Static<typeof PasswordChangeBodySchema>;

/** What the pages learn about the signed-in account (`GET /api/session`, `POST /api/login`). */
export const SessionInfoSchema = Type.Object(
  {
    username: Type.String(),
    displayName: Type.String(),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    areaId: Type.Union([Type.String(), Type.Null()]),
    areaName: Type.Union([Type.String(), Type.Null()]),
    householdId: Type.Union([Type.String(), Type.Null()]),
    /** Echo of the CSRF token, sent back in the `x-khoa-csrf` header on every change. */
    csrf: Type.String(),
    mustChangePassword: Type.Boolean(),
  },
  { $id: 'SessionInfo', additionalProperties: false },
);
export type SessionInfo = Static<typeof SessionInfoSchema>;

export { Username, Password };
