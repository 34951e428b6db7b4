import type { DeviceIdentity } from '../broker/identity.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

/**
 * How far a device's clock is from the hub's, learned from the messages an agent only sends
 * live (its registration on every connect, its heartbeats), so that the time a lock changed
 * state is read on the hub's clock. A Pi without a real-time clock may boot hours or years
 * off until NTP answers; trusted as is, "unlocked since" comes out hours early and the
 * lock-left-open-at-night rule fires at once (or, with a clock ahead, every backlog event lands
 * at its arrival time).
 *
 * Kept per connection (the identity object): the agent sends its registration before anything
 * queued, so a backlog is corrected by the offset of the clock that stamped it, and a device
 * that reconnects with a fixed clock starts afresh.
 */
const offsets = new WeakMap<DeviceIdentity, number>();

/** Offsets within this are network delay and ordinary drift, not a wrong clock: left alone. */
export const CLOCK_TOLERANCE_MS = 30_000;

/** A Pi booted in 1970 may report a state change that far back; beyond it the hub's receipt is used. */
const MAX_BACKDATE_MS = 7 * 86_400_000;

/** Records the device clock reading `deviceTs` of a message received live at `receivedAt`. */
export function noteDeviceClock(who: DeviceIdentity, deviceTs: number, receivedAt: number, deps: { metrics: Metrics; log: Logger }): void {
  const offset = deviceTs - receivedAt;
  const before = offsets.get(who);
  if (Math.abs(offset) <= CLOCK_TOLERANCE_MS) {
    offsets.delete(who);
    return;
  }
  offsets.set(who, offset);
  if (before === undefined) {
    deps.metrics.deviceClockSkewed.inc();
    deps.log.warn({ offsetS: Math.round(offset / 1000) }, 'device clock is off; its event times are read on the hub clock');
  }
}

/**
 * The hub-clock instant a lock event happened: the device's `ts` corrected by its known offset,
 * never later than the receipt (a device cannot report the future) and never more than a week
 * before it.
 */
export function eventTimeOnHubClock(who: DeviceIdentity, ts: number, receivedAt: number): number {
  const t = ts - (offsets.get(who) ?? 0);
  return t <= receivedAt && t >= receivedAt - MAX_BACKDATE_MS ? t : receivedAt;
}
