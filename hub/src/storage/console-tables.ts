import type { Generated, Kysely, Selectable } from 'kysely';
import type { Database } from './tables.ts';

/** Row types of migration 0002 (accounts and the consoles' records); times are epoch ms as in tables.ts. */
type Ms = number;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  /** household / officer / official / admin (protocol ROLES). */
  role: string;
  /** Node of the area tree the account sees (its whole subtree); null for a household member. */
  area_id: string | null;
  household_id: string | null;
  /** argon2id, with its parameters and salt in the PHC string. */
  password_hash: string;
  must_change_password: number;
  disabled: number;
  created_at: Ms;
  password_changed_at: Ms;
}

export interface SessionsTable {
  token_hash: string;
  user_id: number;
  csrf: string;
  created_at: Ms;
  last_seen_at: Ms;
  expires_at: Ms;
  ip: string | null;
}

export interface AlertNotesTable {
  id: Generated<number>;
  alert_id: number;
  by: string;
  at: Ms;
  text: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Ms;
  username: string;
  role: string;
  action: string;
  target: string;
  household_id: string | null;
  ip: string | null;
  detail: string | null;
}

export interface TipsTable {
  id: Generated<number>;
  alert_id: number;
  household_id: string;
  username: string;
  text: string;
  photo: Buffer | null;
  photo_type: string | null;
  created_at: Ms;
}

export interface AdvisoriesTable {
  id: Generated<number>;
  area_id: string;
  title: string;
  body: string;
  lang: string;
  created_by: string;
  created_at: Ms;
  expires_at: Ms;
}

export interface SurveysTable {
  household_id: string;
  quarter: string;
  /** JSON object item → boolean. */
  answers: string;
  passed: number;
  note: string | null;
  by: string;
  at: Ms;
}

export interface CameraSharesTable {
  household_id: string;
  device_id: string;
  camera_id: string;
  until: Ms;
  by: string;
  at: Ms;
}

export type ConsoleTables = {
  users: UsersTable;
  sessions: SessionsTable;
  alert_notes: AlertNotesTable;
  audit_log: AuditLogTable;
  tips: TipsTable;
  advisories: AdvisoriesTable;
  surveys: SurveysTable;
  camera_shares: CameraSharesTable;
};

export type ConsoleDatabase = Database & ConsoleTables;
export type ConsoleDb = Kysely<ConsoleDatabase>;
export type User = Selectable<UsersTable>;
export type Session = Selectable<SessionsTable>;

/** The hub opens Kysely<Database>; the console's tables come from migration 0002 on the same connection. */
export function consoleDb(db: Kysely<Database>): ConsoleDb {
  return db.withTables<ConsoleTables>();
}

/** The hub's own storage helpers take Kysely<Database>; the console's database is a superset of it. */
export function hubDb(db: ConsoleDb): Kysely<Database> {
  return db as unknown as Kysely<Database>;
}
