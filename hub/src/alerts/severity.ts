import type { AlertKind, AlertSeverity } from '@khoa/protocol';

/**
 * How urgent each kind of alert is; the severity sets its deadline (settings.alerts.deadlineMinutes).
 * Someone may be inside the house for the critical ones; the low ones are maintenance.
 */
export const SEVERITY_OF: Record<AlertKind, AlertSeverity> = {
  door_forced: 'critical',
  door_open_armed: 'critical',
  sos: 'critical',
  person: 'high',
  tamper: 'high',
  keypad_failures: 'high',
  camera_blinded: 'high',
  camera_lost: 'medium',
  agent_offline: 'medium',
  lock_open_night: 'medium',
  jammed: 'medium',
  tip: 'medium',
  low_battery: 'low',
};
