import type { Kysely } from 'kysely';
import type { CameraStateMessage, DeviceStatus, LockEvent, LockEventType } from '@khoa/protocol';
import type { Database, Household } from '../storage/tables.ts';
import type { Settings } from '../settings/schema.ts';
import type { Logger } from '../log.ts';
import type { RaiseAlert } from '../alerts/raise.ts';

/** A stored lock event (never a replay: duplicates do not reach the rules). */
export interface LockEventInput {
  kind: 'lock_event';
  householdId: string;
  deviceId: string;
  lockId: string;
  event: LockEvent;
  eventId: number;
  /** The household, read on first call (most rules never need it; this runs for every event). */
  household(): Promise<Household | undefined>;
  /** The lock's state after this event. */
  receivedAt: number;
}

export interface CameraStateInput {
  kind: 'camera_state';
  householdId: string;
  deviceId: string;
  cameraId: string;
  state: CameraStateMessage;
  receivedAt: number;
}

export interface StatusInput {
  kind: 'status';
  householdId: string;
  deviceId: string;
  status: DeviceStatus;
  receivedAt: number;
}

export type RuleInput = LockEventInput | CameraStateInput | StatusInput;
export type RuleInputKind = RuleInput['kind'];

export interface RuleContext {
  settings: Settings['rules'];
  db: Kysely<Database>;
  /** The hub's clock (injectable, so tests can move time). */
  now(): number;
  raise: RaiseAlert;
  log: Logger;
}

/**
 * One alert rule. It reacts to inputs (`on`) and/or is evaluated periodically (`tick`) for
 * conditions that depend on time passing (a lock still open at night, an agent still offline).
 * A rule that throws is isolated by the engine: logged, counted, and the others still run.
 */
export interface Rule {
  name: string;
  on?: { [K in RuleInputKind]?: (input: Extract<RuleInput, { kind: K }>, ctx: RuleContext) => Promise<void> | void };
  /**
   * The lock event types `on.lock_event` is about; the engine does not call it for others (it
   * runs on every stored lock event, most of them routine). Absent: every type.
   */
  lockEventTypes?: readonly LockEventType[];
  tick?(ctx: RuleContext): Promise<void> | void;
}
