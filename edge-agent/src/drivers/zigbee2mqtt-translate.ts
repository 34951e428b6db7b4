import { Type } from '@sinclair/typebox';
import { compile, type Result } from '@khoa/protocol';
import type { DriverEvent } from './types.ts';

/**
 * The fields of a zigbee2mqtt device state message (`zigbee2mqtt/<friendly_name>`) that matter
 * to a lock or door sensor. Zigbee2mqtt sends many more (linkquality, voltage, …): other keys
 * are allowed and ignored, but a known key with the wrong type refuses the whole message.
 */
export const Z2mStateSchema = Type.Object(
  {
    /** Door/window sensors: `true` when the magnet is near, i.e. closed. */
    contact: Type.Optional(Type.Boolean()),
    /** Locks: the commanded state. */
    state: Type.Optional(Type.String({ maxLength: 32 })),
    /** Locks: the actual bolt state; `not_fully_locked` is a bolt that did not throw. */
    lock_state: Type.Optional(Type.String({ maxLength: 32 })),
    tamper: Type.Optional(Type.Boolean()),
    battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /** One-shot actions: keypad results, panic buttons. */
    action: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: true },
);
const stateValidator = compile(Z2mStateSchema);

/** What the translator remembers of one device between messages. */
export interface Z2mMemory {
  door?: 'open' | 'closed';
  lock?: 'locked' | 'unlocked' | 'jammed';
  tamper?: boolean;
  /** Last battery level reported upwards. */
  battery?: number;
  /** Wrong keypad codes in a row. */
  failures: number;
}

export interface TranslateOptions {
  /** Report battery only when it moved by at least this many points since the last report. */
  batteryStep: number;
}

/** Actions zigbee2mqtt's lock converters give for a refused PIN or card (`lock_operation_event` lookups). */
const FAILED_CODE = /(failure_invalid_(pin|rfid)|invalid_(code|pin)|wrong_code|bad_pin)/;
/** Actions of keyrings and keypads that mean a call for help. */
const SOS = new Set(['sos', 'emergency', 'panic']);
/** Actions that show a code or card was accepted, which ends a run of failures. */
const ACCEPTED = /^(keypad|rfid|rf|fingerprint)?_?(lock|unlock)$/;

function lockOf(s: { state?: string; lock_state?: string }): Z2mMemory['lock'] | undefined {
  switch (s.lock_state) {
    case 'locked':
      return 'locked';
    case 'unlocked':
      return 'unlocked';
    case 'not_fully_locked':
      return 'jammed';
  }
  if (s.state === 'LOCK') return 'locked';
  if (s.state === 'UNLOCK') return 'unlocked';
  return undefined;
}

/**
 * Turns one state message into lock events by comparing it with what was seen before
 * (zigbee2mqtt repeats the whole cached state in every message, so only changes are events).
 * A retained message is the state from before the agent started: it becomes the baseline and
 * raises nothing, except a tamper already active.
 */
export function translateZ2m(payload: unknown, memory: Z2mMemory, retained: boolean, opts: TranslateOptions): Result<DriverEvent[]> {
  const r = stateValidator.check(payload);
  if (!r.ok) return r;
  const s = r.value;
  const out: DriverEvent[] = [];

  if (s.contact !== undefined) {
    const door = s.contact ? 'closed' : 'open';
    if (!retained && door !== memory.door) out.push({ type: door === 'open' ? 'door_open' : 'door_closed' });
    memory.door = door;
  }
  const lock = lockOf(s);
  if (lock !== undefined) {
    if (!retained && lock !== memory.lock) out.push({ type: lock });
    memory.lock = lock;
  }
  if (s.tamper !== undefined) {
    if (s.tamper && memory.tamper !== true) out.push({ type: 'tamper' });
    memory.tamper = s.tamper;
  }
  if (s.battery !== undefined) {
    const level = Math.round(s.battery);
    if (!retained && (memory.battery === undefined || Math.abs(level - memory.battery) >= opts.batteryStep)) {
      out.push({ type: 'battery', battery: level });
      memory.battery = level;
    } else if (memory.battery === undefined) {
      memory.battery = level;
    }
  }
  // Actions are one-shot: a retained one is an old event, not a new one.
  if (s.action && !retained) {
    if (FAILED_CODE.test(s.action)) {
      memory.failures = Math.min(memory.failures + 1, 1000);
      out.push({ type: 'keypad_failures', failures: memory.failures });
    } else if (SOS.has(s.action)) {
      out.push({ type: 'sos' });
    } else if (ACCEPTED.test(s.action)) {
      memory.failures = 0;
    }
  }
  return { ok: true, value: out };
}
