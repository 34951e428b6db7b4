import { KhoaError, type Role } from '@khoa/protocol';
import type { ConsoleDb, User } from './console-tables.ts';

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  areaId: string | null;
  householdId: string | null;
  passwordHash: string;
  mustChangePassword: boolean;
}

export async function insertUser(db: ConsoleDb, u: NewUser, now = Date.now()): Promise<User> {
  if (await getUserByName(db, u.username)) throw new KhoaError('KHOA_ERR_HTTP_CONFLICT', `user ${u.username} exists`, { username: u.username });
  return db
    .insertInto('users')
    .values({
      username: u.username, display_name: u.displayName, role: u.role, area_id: u.areaId, household_id: u.householdId, password_hash: u.passwordHash,
      must_change_password: u.mustChangePassword ? 1 : 0, disabled: 0, created_at: now, password_changed_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getUserByName(db: ConsoleDb, username: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function getUserById(db: ConsoleDb, id: number): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setPasswordHash(db: ConsoleDb, id: number, hash: string, now = Date.now()): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, must_change_password: 0, password_changed_at: now }).where('id', '=', id).execute();
}

/** Officers whose area subtree includes `areaIds` (candidates to assign an alert to). */
export async function listOfficers(db: ConsoleDb, areaIds: string[]): Promise<Pick<User, 'username' | 'display_name' | 'area_id'>[]> {
  if (areaIds.length === 0) return [];
  return db.selectFrom('users').select(['username', 'display_name', 'area_id']).where('role', '=', 'officer').where('disabled', '=', 0).where('area_id', 'in', areaIds).orderBy('username').execute();
}
