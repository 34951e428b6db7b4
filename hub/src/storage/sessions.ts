import type { ConsoleDb, Session, User } from './console-tables.ts';

export async function insertSession(db: ConsoleDb, s: Session): Promise<void> {
  await db.insertInto('sessions').values(s).execute();
}

/** The session and its account in one read; expired sessions and disabled accounts do not count. */
export async function findSession(db: ConsoleDb, tokenHash: string, now: number): Promise<{ session: Session; user: User } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.token_hash', 'sessions.csrf', 'sessions.created_at as s_created_at', 'sessions.last_seen_at', 'sessions.expires_at', 'sessions.ip', 'sessions.user_id'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.expires_at', '>', now)
    .where('users.disabled', '=', 0)
    .executeTakeFirst();
  if (!row) return undefined;
  const { token_hash, csrf, s_created_at, last_seen_at, expires_at, ip, user_id, ...user } = row;
  return { session: { token_hash, csrf, created_at: s_created_at, last_seen_at, expires_at, ip, user_id }, user: user as User };
}

export async function touchSession(db: ConsoleDb, tokenHash: string, now: number, expiresAt: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now, expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute();
}

export async function deleteSession(db: ConsoleDb, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** Ends every session of an account except, optionally, the one in use (after a password change). */
export async function deleteUserSessions(db: ConsoleDb, userId: number, except?: string): Promise<void> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (except) q = q.where('token_hash', '!=', except);
  await q.execute();
}

export async function deleteExpiredSessions(db: ConsoleDb, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
