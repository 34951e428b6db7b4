export { Accounts } from './sessions.ts';
export { createUser, resetPassword, ROOT, type CreateUserRequest } from './create-user.ts';
export { generatePassword, hashPassword, verifyPassword } from './passwords.ts';
export { DEFAULT_ACCOUNT_SETTINGS, type AccountSettings } from './settings.ts';
export type { Principal } from './principal.ts';
