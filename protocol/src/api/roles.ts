/**
 * Who a console account is. Each account is scoped to one node of the area tree (a household
 * member to one household instead); every API route checks the role and the scope.
 */
export const ROLES = [
  /** A member of one household: its devices, events, alerts, tips, SOS. */
  'household',
  /** Commune police: alerts, tips, advisories and the survey of its area's subtree. */
  'officer',
  /** District or province official: aggregates of its subtree only, never an image or a name. */
  'official',
  /** Installer / administrator: accounts, the audit log, device health. */
  'admin',
] as const;
export type Role = (typeof ROLES)[number];
