import type { Kysely } from 'kysely';
import type { ParsedTopic } from '@khoa/protocol';
import type { Database } from '../storage/tables.ts';
import type { Settings } from '../settings/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { RuleEngine } from '../rules/engine.ts';
import type { DeviceIdentity } from '../broker/identity.ts';
import type { FrameSink } from './frame-sink.ts';
import type { LockEventStore } from '../storage/lock-event-store.ts';
import type { HeartbeatStore } from '../storage/heartbeat-store.ts';

/** What every message handler may use. */
export interface IngestContext {
  db: Kysely<Database>;
  settings: Settings;
  metrics: Metrics;
  rules: RuleEngine;
  frames: FrameSink;
  /** Stores lock events once, applies them to their lock, marks their rules done (storage/lock-event-store.ts). */
  lockEvents: LockEventStore;
  /** A heartbeat's writes (storage/heartbeat-store.ts). */
  heartbeats: HeartbeatStore;
  now(): number;
}

/** One message from a device, already past the ACL (its topic is under the device's own prefix). */
export interface DeviceMessage<T extends ParsedTopic = ParsedTopic> {
  who: DeviceIdentity;
  topic: T;
  payload: Buffer;
  receivedAt: number;
  /** Logger bound to the device and household ids. */
  log: Logger;
}

/**
 * Work a handler leaves for after the broker's acknowledgement (a lock event's rules): it runs
 * in the device's message order, but the device's PUBACK does not wait for it.
 */
export type AfterAck = () => Promise<unknown> | void;

/** Handles one message up to what the acknowledgement promises (stored); may return what follows it. */
export type Handler<K extends ParsedTopic['kind']> = (ctx: IngestContext, msg: DeviceMessage<Extract<ParsedTopic, { kind: K }>>) => Promise<void | AfterAck>;
