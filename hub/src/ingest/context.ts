import type { Kysely } from 'kysely';
import type { ParsedTopic } from '@khoa/protocol';
import type { Database } from '../storage/tables.ts';
import type { Settings } from '../settings/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { RuleEngine } from '../rules/engine.ts';
import type { DeviceIdentity } from '../broker/identity.ts';
import type { FrameSink } from './frame-sink.ts';
import type { createLockEventWriter } from '../storage/lock-event-writer.ts';

/** What every message handler may use. */
export interface IngestContext {
  db: Kysely<Database>;
  settings: Settings;
  metrics: Metrics;
  rules: RuleEngine;
  frames: FrameSink;
  /** Stores a lock event once and applies it to the lock (storage/lock-event-writer.ts). */
  writeLockEvent: ReturnType<typeof createLockEventWriter>;
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

export type Handler<K extends ParsedTopic['kind']> = (ctx: IngestContext, msg: DeviceMessage<Extract<ParsedTopic, { kind: K }>>) => Promise<void>;
