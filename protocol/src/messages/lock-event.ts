import { Type, type Static } from '@sinclair/typebox';
import { compile } from '../validate.ts';

/** What a lock, door sensor or keyring reports under `…/lock/{lockId}/event`. */
export const LOCK_EVENT_TYPES = [
  'locked',
  'unlocked',
  'door_open',
  'door_closed',
  /** Door opened without the lock being released (bolt forced, frame broken). */
  'forced',
  /** Enclosure opened or sensor removed. */
  'tamper',
  /** Battery level report; `battery` holds the percentage. */
  'battery',
  'jammed',
  /** Wrong codes entered on a keypad; `failures` holds how many in a row. */
  'keypad_failures',
  /** Panic button on a keyring or lock. */
  'sos',
] as const;
export type LockEventType = (typeof LOCK_EVENT_TYPES)[number];

export const LockEventSchema = Type.Object(
  {
    /** Per-device sequence number, strictly increasing; with the device id it makes an event's identity, so a replay is stored once. */
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    /** The device's own clock, epoch milliseconds (it may be skewed; the hub records its receive time too). */
    ts: Type.Integer({ minimum: 0, maximum: 8.64e15 }),
    type: Type.Union(LOCK_EVENT_TYPES.map((t) => Type.Literal(t))),
    battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Which driver produced it (simulator, gpio, zigbee2mqtt, esphome). */
    source: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { $id: 'LockEvent', additionalProperties: false },
);
export type LockEvent = Static<typeof LockEventSchema>;
export const lockEventValidator = compile(LockEventSchema);
