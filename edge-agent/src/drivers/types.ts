import type { Static, TSchema } from '@sinclair/typebox';
import { KhoaError, type AgentLockConfig, type LockEventType, type Validator } from '@khoa/protocol';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';

/** What a driver reports; the agent adds the seq, fills `ts` from its clock if absent, and queues it. */
export interface DriverEvent {
  type: LockEventType;
  battery?: number;
  failures?: number;
  /** The device's own time, when the hardware reports one (epoch ms). */
  ts?: number;
}

/** What the agent gives a driver. */
export interface LockDriverContext {
  lock: AgentLockConfig;
  /** Reports an event; never throws (an invalid event is counted and logged by the agent). */
  emit(event: DriverEvent): void;
  /** Reports a failure or an invalid input from the hardware side; counted, logged, never fatal. */
  error(err: KhoaError): void;
  log: Logger;
  clock: Clock;
}

/** One lock or door sensor. The constructor/`create` only checks options; `start` touches hardware. */
export interface LockDriver {
  /** Begins watching the device. Rejects with a KhoaError if the device cannot be opened. */
  start(): Promise<void>;
  /** Stops watching and releases the device; safe to call twice. */
  stop(): Promise<void>;
}

/** A kind of driver, as registered in `drivers/index.ts` under its `key` (the config's `driver`). */
export interface LockDriverFactory<D extends LockDriver = LockDriver> {
  key: string;
  /** Validates `ctx.lock.options` (throws KHOA_ERR_CONFIG_INVALID naming the lock) and builds the driver. */
  create(ctx: LockDriverContext): D;
}

/** Checks a lock's `options` against a driver's schema, with an error that names the lock. */
export function driverOptions<S extends TSchema>(validator: Validator<S>, lock: AgentLockConfig): Static<S> {
  const r = validator.check(lock.options ?? {});
  if (!r.ok) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `locks[${lock.id}].options: ${r.error.message}`, { lockId: lock.id, driver: lock.driver, ...r.error.context });
  }
  return r.value;
}
