import { KhoaError } from '@khoa/protocol';
import type { ConsoleDb, User } from '../storage/console-tables.ts';
import { deleteSession, deleteUserSessions, findSession, insertSession, touchSession } from '../storage/sessions.ts';
import { getUserByName, setPasswordHash } from '../storage/users.ts';
import { areaSubtree } from '../storage/area-tree.ts';
import { LoginThrottle, type ThrottleScope } from '../broker/login-throttle.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { hashToken, newToken } from './tokens.ts';
import type { Principal } from './principal.ts';
import type { AccountSettings } from './settings.ts';
import { writeAudit } from '../storage/audit-log.ts';

/** Touching the session row on every request would make each read a write; once a minute is enough. */
const TOUCH_EVERY_MS = 60_000;
/** The area tree changes a few times a year; a minute's staleness spares a recursive query per request. */
const SUBTREE_TTL_MS = 60_000;

/**
 * Logins, sessions and password changes. Failed logins are limited per account+IP, per IP and
 * per account from unfamiliar IPs (broker/login-throttle.ts; in this process: with several hubs behind a balancer each counts its own, which still bounds
 * guessing to a small multiple).
 */
export class Accounts {
  readonly #throttle: LoginThrottle;
  readonly #subtrees = new Map<string, { ids: Set<string>; at: number }>();

  constructor(
    private readonly db: ConsoleDb,
    private readonly settings: AccountSettings,
    private readonly now: () => number = Date.now,
    /** Told each time a try is refused unchecked (for the metric). */
    private readonly onThrottled: (scope: ThrottleScope) => void = () => {},
  ) {
    this.#throttle = new LoginThrottle(
      {
        freeFailures: settings.maxFailuresPerAccountIp, backoffBaseMs: settings.backoffBaseMs, maxBackoffMs: settings.lockoutMs,
        maxFailuresPerAddress: settings.maxFailuresPerIp, addressLockoutMs: settings.lockoutMs,
        maxFailuresPerAccount: settings.maxFailuresPerAccount, accountLockoutMs: settings.lockoutMs, accountWindowMs: settings.failureWindowMs,
        windowMs: settings.failureWindowMs, trustedAddressMs: settings.trustedIpMs,
      },
      now,
    );
  }

  #refuseIfThrottled(username: string, ip: string): void {
    const v = this.#throttle.check(username, ip);
    if (v.ok) return;
    this.onThrottled(v.scope);
    const message = v.scope === 'account' ? 'too many failed logins to this account from elsewhere; sign in from a computer you used before, or wait' : 'too many failed logins; wait and try again';
    throw new KhoaError('KHOA_ERR_HTTP_RATE_LIMITED', message, { retryAfterS: Math.ceil(v.retryAfterMs / 1000), scope: v.scope });
  }

  /**
   * Checks the password and opens a session. `cookieExpiresAt` is the session's absolute end:
   * the cookie lives that long and the database enforces the shorter idle limit.
   */
  async login(username: string, password: string, ip: string): Promise<{ token: string; principal: Principal; cookieExpiresAt: number }> {
    this.#refuseIfThrottled(username, ip);
    const user = await getUserByName(this.db, username);
    const ok = user && !user.disabled ? await verifyPassword(user.password_hash, password) : (await verifyPassword(await decoyHash(), password), false);
    if (!user || !ok) {
      this.#throttle.fail(username, ip);
      await writeAudit(this.db, { username, role: user?.role ?? 'unknown', action: 'login.failed', target: `user:${username}`, ip }, this.now());
      throw new KhoaError('KHOA_ERR_HTTP_UNAUTHENTICATED', 'wrong username or password');
    }
    this.#throttle.succeed(username, ip);
    const token = newToken();
    const now = this.now();
    const session = { token_hash: hashToken(token), user_id: user.id, csrf: newToken(), created_at: now, last_seen_at: now, expires_at: now + this.settings.idleMs, ip };
    await insertSession(this.db, session);
    return { token, principal: await this.#principal(user, session.csrf, session.token_hash, session.expires_at), cookieExpiresAt: now + this.settings.absoluteMs };
  }

  /** The principal behind a cookie token, or undefined when it is unknown or expired. */
  async resolve(token: string): Promise<Principal | undefined> {
    const now = this.now();
    const found = await findSession(this.db, hashToken(token), now);
    if (!found) return undefined;
    const { session, user } = found;
    let expiresAt = session.expires_at;
    if (now - session.last_seen_at > TOUCH_EVERY_MS) {
      expiresAt = Math.min(now + this.settings.idleMs, session.created_at + this.settings.absoluteMs);
      await touchSession(this.db, session.token_hash, now, expiresAt);
    }
    return this.#principal(user, session.csrf, session.token_hash, expiresAt);
  }

  async logout(p: Principal): Promise<void> {
    await deleteSession(this.db, p.tokenHash);
  }

  /** Changes the password after checking the current one; every other session of the account ends. */
  async changePassword(p: Principal, current: string, next: string, ip: string): Promise<void> {
    this.#refuseIfThrottled(p.username, ip);
    const user = await getUserByName(this.db, p.username);
    if (!user || !(await verifyPassword(user.password_hash, current))) {
      this.#throttle.fail(p.username, ip);
      throw new KhoaError('KHOA_ERR_HTTP_FORBIDDEN', 'current password is wrong', { field: 'currentPassword' });
    }
    if (current === next) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', 'the new password must differ from the current one', { field: 'newPassword' });
    if (next.toLowerCase().includes(p.username.toLowerCase())) throw new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', 'the new password must not contain the username', { field: 'newPassword' });
    await setPasswordHash(this.db, user.id, await hashPassword(next), this.now());
    await deleteUserSessions(this.db, user.id, p.tokenHash);
  }

  async #subtree(areaId: string): Promise<Set<string>> {
    const hit = this.#subtrees.get(areaId);
    if (hit && this.now() - hit.at < SUBTREE_TTL_MS) return hit.ids;
    const ids = new Set(await areaSubtree(this.db, areaId));
    this.#subtrees.set(areaId, { ids, at: this.now() });
    return ids;
  }

  async #principal(user: User, csrf: string, tokenHash: string, expiresAt: number): Promise<Principal> {
    const areaIds = user.area_id ? await this.#subtree(user.area_id) : new Set<string>();
    return {
      userId: user.id, username: user.username, displayName: user.display_name, role: user.role as Principal['role'], areaId: user.area_id, areaIds,
      householdId: user.household_id, mustChangePassword: user.must_change_password === 1, csrf, tokenHash, expiresAt,
    };
  }
}
