/**
 * Console account settings. Kept beside the accounts code (the hub settings schema belongs to
 * the hub foundation); the defaults follow OWASP session guidance for a shared office PC.
 */
export interface AccountSettings {
  /** A session unused this long ends (a console left open keeps itself alive through its stream). */
  idleMs: number;
  /** No session outlives this, used or not. */
  absoluteMs: number;
  /** Failed logins per account, and per IP, within the window before further tries are refused. */
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  failureWindowMs: number;
  lockoutMs: number;
}

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = {
  idleMs: 12 * 3600_000,
  absoluteMs: 7 * 24 * 3600_000,
  maxFailuresPerAccount: 5,
  maxFailuresPerIp: 20,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
};
