/**
 * Console account settings. Kept beside the accounts code (the hub settings schema belongs to
 * the hub foundation); the defaults follow OWASP session guidance for a shared office PC.
 */
export interface AccountSettings {
  /** A session unused this long ends (a console left open keeps itself alive through its stream). */
  idleMs: number;
  /** No session outlives this, used or not. */
  absoluteMs: number;
  /**
   * Brute-force limits (broker/login-throttle.ts). Failed logins of one account from one IP
   * before that pair waits `backoffBaseMs`, doubling with each further failure up to `lockoutMs`.
   */
  maxFailuresPerAccountIp: number;
  backoffBaseMs: number;
  /** Failures from one IP, whatever the account, within the window before the IP waits `lockoutMs`. */
  maxFailuresPerIp: number;
  /** Failures of one account from IPs it never signed in from, within the window, before it is closed to such IPs for `lockoutMs`. */
  maxFailuresPerAccount: number;
  failureWindowMs: number;
  lockoutMs: number;
  /** A successful login keeps its IP familiar to the account this long (never closed to it by others' failures). */
  trustedIpMs: number;
}

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = {
  idleMs: 12 * 3600_000,
  absoluteMs: 7 * 24 * 3600_000,
  maxFailuresPerAccountIp: 5,
  backoffBaseMs: 60_000,
  maxFailuresPerIp: 20,
  maxFailuresPerAccount: 20,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  trustedIpMs: 30 * 24 * 3600_000,
};
