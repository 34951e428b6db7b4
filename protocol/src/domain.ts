/**
 * Vocabulary shared by the hub, the agent and the consoles: alert kinds and their workflow,
 * and the levels of the area tree. Administrative levels change (districts were abolished in
 * 2025), so the tree has any depth; a level is a label, not a column.
 */
export const ALERT_KINDS = [
  'person',
  'door_forced',
  'door_open_armed',
  'tamper',
  'lock_open_night',
  'keypad_failures',
  'low_battery',
  'jammed',
  'camera_lost',
  'camera_blinded',
  'agent_offline',
  'tip',
  'sos',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATUSES = ['new', 'acknowledged', 'assigned', 'resolved', 'false_alarm'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Allowed workflow steps; anything else is a conflict. */
export const ALERT_TRANSITIONS: Record<AlertStatus, readonly AlertStatus[]> = {
  new: ['acknowledged', 'assigned', 'resolved', 'false_alarm'],
  acknowledged: ['assigned', 'resolved', 'false_alarm'],
  assigned: ['assigned', 'resolved', 'false_alarm'],
  resolved: [],
  false_alarm: [],
};

export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const AREA_LEVELS = ['province', 'district', 'commune', 'village'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];
