import { KhoaError, type AgentLockConfig } from '@khoa/protocol';
import type { Clock } from './clock.ts';
import type { DriverEvent, LockDriver, LockDriverFactory } from './drivers/index.ts';
import type { Logger } from './log.ts';
import type { AgentMetrics } from './metrics.ts';

export interface LockDriversOptions {
  locks: readonly AgentLockConfig[];
  factories: Record<string, LockDriverFactory>;
  clock: Clock;
  log: Logger;
  metrics: AgentMetrics;
  /** Where every driver's events go (the agent queues them). Must not throw. */
  onEvent: (lock: AgentLockConfig, event: DriverEvent) => void;
  /** Delay before trying again to start a driver whose device could not be opened. */
  retryMs: number;
}

/**
 * The agent's lock drivers. Built in the constructor, so a config naming an unknown driver or
 * giving bad options fails before the agent connects. Started under supervision: a driver
 * whose device cannot be opened yet (a GPIO line still owned by udev at boot, a USB stick not
 * enumerated) is retried until it starts, while the other locks work.
 */
export class LockDrivers {
  private readonly drivers = new Map<string, { lock: AgentLockConfig; driver: LockDriver; started: boolean; retry: ReturnType<typeof setTimeout> | null }>();
  private stopped = false;

  constructor(private readonly o: LockDriversOptions) {
    for (const lock of o.locks) {
      const factory = o.factories[lock.driver];
      if (!factory) {
        throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `locks[${lock.id}]: unknown driver "${lock.driver}"`, { lockId: lock.id, driver: lock.driver, known: Object.keys(o.factories) });
      }
      const log = o.log.child({ lockId: lock.id, driver: lock.driver });
      const driver = factory.create({
        lock,
        log,
        clock: o.clock,
        emit: (e) => {
          if (!this.stopped) o.onEvent(lock, e);
        },
        error: (err) => {
          o.metrics.driverErrors.inc({ driver: lock.driver });
          log.warn({ err }, 'driver error');
        },
      });
      this.drivers.set(lock.id, { lock, driver, started: false, retry: null });
    }
  }

  get(lockId: string): LockDriver | undefined {
    return this.drivers.get(lockId)?.driver;
  }

  /** Starts every driver; resolves once each has started or failed its first attempt. */
  async start(): Promise<void> {
    await Promise.all([...this.drivers.keys()].map((id) => this.attempt(id)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const d of this.drivers.values()) if (d.retry) clearTimeout(d.retry);
    await Promise.allSettled([...this.drivers.values()].map((d) => d.driver.stop()));
  }

  private async attempt(lockId: string): Promise<void> {
    const d = this.drivers.get(lockId);
    if (!d || this.stopped || d.started) return;
    d.retry = null;
    try {
      await d.driver.start();
      d.started = true;
      if (this.stopped) await d.driver.stop();
    } catch (err) {
      this.o.metrics.driverErrors.inc({ driver: d.lock.driver });
      this.o.log.error({ err, lockId, driver: d.lock.driver, retryMs: this.o.retryMs }, 'lock driver failed to start; will retry');
      await d.driver.stop().catch(() => {});
      if (!this.stopped) d.retry = setTimeout(() => void this.attempt(lockId), this.o.retryMs);
    }
  }
}
