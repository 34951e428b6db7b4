import type { Role } from '@khoa/protocol';

/** The signed-in account as every route sees it, resolved once per request by the auth hook. */
export interface Principal {
  userId: number;
  username: string;
  displayName: string;
  role: Role;
  /** Root of the account's area scope; null for a household member. */
  areaId: string | null;
  /** The area and all areas below it; empty for a household member. */
  areaIds: ReadonlySet<string>;
  householdId: string | null;
  mustChangePassword: boolean;
  csrf: string;
  tokenHash: string;
  expiresAt: number;
}

export const STAFF_ROLES: readonly Role[] = ['officer', 'official', 'admin'];
