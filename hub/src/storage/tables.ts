import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Row types of the hub's tables, shared by SQLite and PostgreSQL. Times are epoch
 * milliseconds (bigint in PostgreSQL, read back as numbers), flags are 0/1 integers: both
 * dialects store them the same way, so queries do not branch on the dialect.
 */
type Ms = number;
type Flag = ColumnType<number, number | undefined, number>;

export interface AreasTable {
  id: string;
  parent_id: string | null;
  /** Label of the level (province, district, commune, village, …); the tree has any depth. */
  level: string;
  name: string;
  /** urban or rural, where the plans set different coverage targets; null above the commune. */
  kind: string | null;
  created_at: Ms;
}

export interface HouseholdsTable {
  id: string;
  area_id: string;
  address: string;
  /** Household night, local "HH:MM"; the lock-left-open rule uses it. */
  night_start: string;
  night_end: string;
  /** IANA zone the night hours are in. */
  timezone: string;
  armed: Flag;
  created_at: Ms;
}

export interface DevicesTable {
  id: string;
  household_id: string;
  kind: string;
  /** argon2id hash of the MQTT password; the password itself is never stored. */
  credential_hash: string;
  revoked: Flag;
  /** online / offline / unknown, from the retained status and its Last Will. */
  status: string;
  status_at: Ms | null;
  last_seen_at: Ms | null;
  agent_version: string | null;
  platform: string | null;
  registered_at: Ms | null;
  created_at: Ms;
}

export interface LocksTable {
  device_id: string;
  lock_id: string;
  household_id: string;
  kind: string;
  driver: string;
  name: string | null;
  /** locked / unlocked / null (unknown or a sensor without a bolt) */
  lock_state: string | null;
  lock_state_at: Ms | null;
  /** open / closed / null */
  door_state: string | null;
  door_state_at: Ms | null;
  battery: number | null;
  updated_at: Ms;
}

export interface CamerasTable {
  device_id: string;
  camera_id: string;
  household_id: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  source: string;
  state: string | null;
  state_at: Ms | null;
  updated_at: Ms;
}

export interface EventsTable {
  id: Generated<number>;
  device_id: string;
  household_id: string;
  lock_id: string;
  /** The device's sequence number; UNIQUE(device_id, seq) makes replays idempotent. */
  seq: number;
  type: string;
  battery: number | null;
  failures: number | null;
  source: string | null;
  device_ts: Ms;
  received_at: Ms;
  /** Set once the rules have run for the event; null after a crash between store and rules. */
  rules_done_at: Ms | null;
}

export interface AlertsTable {
  id: Generated<number>;
  kind: string;
  status: string;
  severity: string;
  household_id: string;
  device_id: string | null;
  /** Lock or camera id the alert is about, '' for the whole device: part of the dedupe key. */
  subject: string;
  source_event_id: number | null;
  snapshot_path: string | null;
  detail: string | null;
  created_at: Ms;
  deadline_at: Ms;
  acknowledged_at: Ms | null;
  acknowledged_by: string | null;
  assigned_at: Ms | null;
  assigned_by: string | null;
  assigned_to: string | null;
  resolved_at: Ms | null;
  resolved_by: string | null;
}

export interface AlertHistoryTable {
  id: Generated<number>;
  alert_id: number;
  from_status: string | null;
  to_status: string;
  by: string;
  at: Ms;
  note: string | null;
}

export interface Database {
  areas: AreasTable;
  households: HouseholdsTable;
  devices: DevicesTable;
  locks: LocksTable;
  cameras: CamerasTable;
  events: EventsTable;
  alerts: AlertsTable;
  alert_history: AlertHistoryTable;
}

export type Area = Selectable<AreasTable>;
export type Household = Selectable<HouseholdsTable>;
export type Device = Selectable<DevicesTable>;
export type Lock = Selectable<LocksTable>;
export type Camera = Selectable<CamerasTable>;
export type StoredEvent = Selectable<EventsTable>;
export type Alert = Selectable<AlertsTable>;
export type NewAlert = Insertable<AlertsTable>;
export type AlertUpdate = Updateable<AlertsTable>;
