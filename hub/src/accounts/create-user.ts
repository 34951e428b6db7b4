import { KhoaError, isValidId, type Role } from '@khoa/protocol';
import { getArea } from '../storage/areas.ts';
import { getHousehold } from '../storage/households.ts';
import { hubDb, type ConsoleDb, type User } from '../storage/console-tables.ts';
import { getUserByName, insertUser } from '../storage/users.ts';
import { deleteUserSessions } from '../storage/sessions.ts';
import { generatePassword, hashPassword } from './passwords.ts';

export interface CreateUserRequest {
  username: string;
  role: Role;
  displayName?: string | undefined;
  areaId?: string | undefined;
  householdId?: string | undefined;
}

/** `--area ROOT`: the whole tree (administrators only). */
export const ROOT = 'ROOT';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,47}$/;

/**
 * Creates an account with a generated password, returned once to be handed over; the account
 * must change it at first login. There is no way to create an account with a chosen or default
 * password, so no deployment ever ships one.
 */
export async function createUser(db: ConsoleDb, req: CreateUserRequest, now = Date.now()): Promise<{ user: User; password: string }> {
  if (!USERNAME.test(req.username)) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', 'username: 2-48 of a-z 0-9 . _ -', { field: 'username' });
  let areaId: string | null = null;
  let householdId: string | null = null;
  if (req.role === 'household') {
    if (!req.householdId || !isValidId(req.householdId)) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', 'a household account needs --household', { field: 'householdId' });
    if (!(await getHousehold(hubDb(db), req.householdId))) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', req.householdId, { householdId: req.householdId });
    householdId = req.householdId;
  } else if (req.role === 'admin' && req.areaId === ROOT) {
    // An administrator of the whole installation, made before any area exists.
    areaId = null;
  } else {
    if (!req.areaId || !isValidId(req.areaId)) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', `a ${req.role} account needs --area`, { field: 'areaId' });
    if (!(await getArea(hubDb(db), req.areaId))) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', req.areaId, { areaId: req.areaId });
    areaId = req.areaId;
  }
  const password = generatePassword();
  const user = await insertUser(
    db,
    { username: req.username, displayName: req.displayName ?? req.username, role: req.role, areaId, householdId, passwordHash: await hashPassword(password), mustChangePassword: true },
    now,
  );
  return { user, password };
}

/** A new generated password for an existing account (forgotten password, handed over in person). */
export async function resetPassword(db: ConsoleDb, username: string): Promise<string> {
  const user = await getUserByName(db, username);
  if (!user) throw new KhoaError('KHOA_ERR_HTTP_NOT_FOUND', `user ${username}`, { username });
  const password = generatePassword();
  await db.updateTable('users').set({ password_hash: await hashPassword(password), must_change_password: 1 }).where('id', '=', user.id).execute();
  await deleteUserSessions(db, user.id);
  return password;
}
