import { isValidId } from './ids.ts';

/** Every topic starts with this root; the version segment changes only with a breaking contract change. */
export const TOPIC_ROOT = 'khoa/v1';

/** Commands the hub sends to an agent under `…/cmd/{name}`. */
export const COMMAND_NAMES = ['arm', 'disarm', 'snapshot', 'reboot', 'config', 'advisory'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface DeviceRef {
  householdId: string;
  deviceId: string;
}

/** A parsed topic: which device it belongs to and what it carries. */
export type ParsedTopic =
  | (DeviceRef & { kind: 'status' })
  | (DeviceRef & { kind: 'register' })
  | (DeviceRef & { kind: 'heartbeat' })
  | (DeviceRef & { kind: 'lock_event'; lockId: string })
  | (DeviceRef & { kind: 'cam_frame'; cameraId: string })
  | (DeviceRef & { kind: 'cam_state'; cameraId: string })
  | (DeviceRef & { kind: 'cmd'; command: CommandName })
  | (DeviceRef & { kind: 'reply'; command: CommandName });

export type TopicKind = ParsedTopic['kind'];

const prefix = (d: DeviceRef): string => `${TOPIC_ROOT}/${d.householdId}/${d.deviceId}`;

function checkIds(...ids: string[]): void {
  for (const id of ids) if (!isValidId(id)) throw new TypeError(`invalid id for a topic segment: ${JSON.stringify(id)}`);
}

/** Topic builders. They throw on an id that could break out of its segment, so a bad id never reaches the wire. */
export const topics = {
  devicePrefix(d: DeviceRef): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/`;
  },
  status(d: DeviceRef): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/status`;
  },
  register(d: DeviceRef): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/register`;
  },
  heartbeat(d: DeviceRef): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/heartbeat`;
  },
  lockEvent(d: DeviceRef, lockId: string): string {
    checkIds(d.householdId, d.deviceId, lockId);
    return `${prefix(d)}/lock/${lockId}/event`;
  },
  camFrame(d: DeviceRef, cameraId: string): string {
    checkIds(d.householdId, d.deviceId, cameraId);
    return `${prefix(d)}/cam/${cameraId}/frame`;
  },
  camState(d: DeviceRef, cameraId: string): string {
    checkIds(d.householdId, d.deviceId, cameraId);
    return `${prefix(d)}/cam/${cameraId}/state`;
  },
  cmd(d: DeviceRef, command: CommandName): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/cmd/${command}`;
  },
  /** What an agent subscribes to for its commands. */
  cmdFilter(d: DeviceRef): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/cmd/#`;
  },
  reply(d: DeviceRef, command: CommandName): string {
    checkIds(d.householdId, d.deviceId);
    return `${prefix(d)}/reply/${command}`;
  },
  /** Subscriptions the hub makes to hear every device (optionally as an MQTT 5 shared subscription). */
  hubFilters(shareGroup?: string): { events: string[]; frames: string } {
    const all = (tail: string) => `${TOPIC_ROOT}/+/+/${tail}`;
    const frames = all('cam/+/frame');
    return {
      events: [all('status'), all('register'), all('heartbeat'), all('lock/+/event'), all('cam/+/state'), all('reply/+')],
      frames: shareGroup ? `$share/${shareGroup}/${frames}` : frames,
    };
  },
};

function isCommand(s: string | undefined): s is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(s as string);
}

/**
 * Parses a topic of the contract. Returns `null` for anything else (another version, a bad id,
 * an unknown tail, wildcards), so callers can refuse and count it without a try/catch.
 */
export function parseTopic(topic: string): ParsedTopic | null {
  if (typeof topic !== 'string' || topic.length > 512) return null;
  const parts = topic.split('/');
  if (parts[0] !== 'khoa' || parts[1] !== 'v1') return null;
  const [, , householdId, deviceId, a, b, c] = parts;
  if (!isValidId(householdId) || !isValidId(deviceId)) return null;
  const d = { householdId, deviceId };
  const n = parts.length;
  if (n === 5) {
    if (a === 'status' || a === 'register' || a === 'heartbeat') return { ...d, kind: a };
    return null;
  }
  if (n === 6) {
    if (a === 'cmd' && isCommand(b)) return { ...d, kind: 'cmd', command: b };
    if (a === 'reply' && isCommand(b)) return { ...d, kind: 'reply', command: b };
    return null;
  }
  if (n === 7 && isValidId(b)) {
    if (a === 'lock' && c === 'event') return { ...d, kind: 'lock_event', lockId: b };
    if (a === 'cam' && c === 'frame') return { ...d, kind: 'cam_frame', cameraId: b };
    if (a === 'cam' && c === 'state') return { ...d, kind: 'cam_state', cameraId: b };
  }
  return null;
}
