import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { startAgent, type Agent } from '@khoa/edge-agent';
import { createLogger, hashDevicePassword, storage } from '@khoa/hub';
import { createAgentConfig, newDevicePassword } from '@khoa/firmware-config';
import { startHubProcess, type HubProcess } from '../load/hub-process.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../hub/src/testing/ports.ts';

/**
 * Shared parts of the hub-side fault scenarios: real edge agents with simulated locks, a
 * record of every lock event they made, and the tally of what the hub stored against it.
 */

const quiet = createLogger('silent');

/** Agent timers shortened so reconnects happen in milliseconds; the queue skips fsync (tmpfs-like speed, same logic). */
export const fastTuning = { reconnectMinMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 60_000, queueFsync: 'never' as const, connectTimeoutMs: 2000 };

/** Runs registered cleanups in reverse order, each once, ignoring their failures. */
export class Cleanups {
  readonly #fns: Array<() => Promise<unknown> | unknown> = [];
  push(fn: () => Promise<unknown> | unknown): void {
    this.#fns.push(fn);
  }
  tmp(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  async run(): Promise<void> {
    for (const f of this.#fns.splice(0).reverse()) {
      try {
        await f();
      } catch {
        // a cleanup that fails must not hide the scenario's outcome or skip the others
      }
    }
  }
}


export interface FleetAgent {
  agent: Agent;
  deviceId: string;
  householdId: string;
  /** seq → lock and event type, for every event the agent made (queued for the hub). */
  made: Map<number, { lockId: string; type: string }>;
}

/** Starts a real edge agent with simulated locks and records every event it makes. */
export async function startFleetAgent(c: Cleanups, hubUrl: string, householdId: string, deviceId: string, password: string, lockIds: string[]): Promise<FleetAgent> {
  const config = createAgentConfig({
    householdId,
    deviceId,
    password,
    hubUrl,
    dataDir: c.tmp('khoa-fault-agent-'),
    locks: lockIds.map((id) => ({ id, kind: 'lock_with_door' as const, driver: 'simulator' })),
  });
  const agent = await startAgent(config, { log: quiet, tuning: fastTuning });
  c.push(() => agent.stop());
  const made = new Map<number, { lockId: string; type: string }>();
  agent.events.on('event', (lockId, e) => made.set(e.seq, { lockId, type: e.type }));
  return { agent, deviceId, householdId, made };
}

/** One agent per device with the given simulated locks, all connected. */
export async function startFleet(c: Cleanups, hubUrl: string, ids: Array<{ householdId: string; deviceId: string }>, passwords: Map<string, string>, lockIds: string[]): Promise<FleetAgent[]> {
  const fleet: FleetAgent[] = [];
  for (const d of ids) fleet.push(await startFleetAgent(c, hubUrl, d.householdId, d.deviceId, passwords.get(d.deviceId)!, lockIds));
  await Promise.all(fleet.map((f) => f.agent.whenConnected()));
  return fleet;
}

/** Every agent's `door` sensor opens and closes every `periodMs` until the returned stop (or the cleanups). */
export function produceDoorEvents(c: Cleanups, fleet: FleetAgent[], periodMs: number): () => void {
  let n = 0;
  const producer = setInterval(() => {
    for (const f of fleet) f.agent.simulator('door').emit(n % 2 === 0 ? 'door_open' : 'door_closed');
    n++;
  }, periodMs);
  const stop = () => clearInterval(producer);
  c.push(stop);
  return stop;
}

/** Forces `lockId` on every agent of the fleet. */
export function forceAll(fleet: FleetAgent[], lockId: string): void {
  for (const f of fleet) f.agent.simulator(lockId).emit('forced');
}

/**
 * Waits until every agent is connected with an empty queue, nothing it made is missing from the
 * hub's file and every forced lock has a door_forced alert; then counts. `recoveredAt` is null
 * when that did not happen within `timeoutMs`.
 */
export async function awaitFleetSettled(reader: SqliteDatabase.Database, fleet: FleetAgent[], timeoutMs: number) {
  const alertsExpected = forcedLocks(fleet);
  const events = () => reader.prepare<[], StoredRow>('select device_id, seq from events').all();
  const doorForced = () => reader.prepare<[], { n: number }>(`select count(*) as n from alerts where kind = 'door_forced' group by device_id, subject`).all();
  const settled = () => fleet.every((f) => f.agent.queueDepth() === 0 && f.agent.connected()) && tally(fleet, events()).lost === 0 && doorForced().length >= alertsExpected;
  const recoveredAt = await until(settled, timeoutMs);
  const forced = doorForced();
  return {
    recoveredAt,
    counts: tally(fleet, events()),
    alertsExpected,
    alertsRaised: forced.length,
    /** Extra door_forced rows for one lock. */
    alertsDoubled: forced.reduce((s, r) => s + r.n - 1, 0),
  };
}

/** Locks that reported `forced` at least once: each should have one door_forced alert. */
export function forcedLocks(fleet: FleetAgent[]): number {
  let n = 0;
  for (const f of fleet) n += new Set([...f.made.values()].filter((e) => e.type === 'forced').map((e) => e.lockId)).size;
  return n;
}

export interface StoredRow {
  device_id: string;
  seq: number | string;
}

/**
 * Compares what the agents made with the stored rows: stored = distinct (device, seq) made and
 * found, doubled = extra copies of one (device, seq), lost = made and not found.
 */
export function tally(fleet: FleetAgent[], rows: StoredRow[]): { sent: number; stored: number; lost: number; doubled: number } {
  const copies = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.device_id}#${Number(r.seq)}`;
    copies.set(k, (copies.get(k) ?? 0) + 1);
  }
  let sent = 0;
  let stored = 0;
  let doubled = 0;
  for (const f of fleet) {
    for (const seq of f.made.keys()) {
      sent++;
      const n = copies.get(`${f.deviceId}#${seq}`) ?? 0;
      if (n > 0) stored++;
      if (n > 1) doubled += n - 1;
    }
  }
  return { sent, stored, lost: sent - stored, doubled };
}

export { freePort, sleep };

/** Polls `check` until true or `timeoutMs`; returns the time it became true, or null. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > end) return null;
    await sleep(everyMs);
  }
}

/**
 * Creates the database of a hub child process before it starts (area, households, devices
 * with real credentials), the way `khoa household add` and `khoa provision agent` would, and
 * returns each device's password.
 */
export async function provisionDataDir(dataDir: string, devices: Array<{ householdId: string; deviceId: string }>): Promise<Map<string, string>> {
  const db = await storage.openDb({ url: '', busyTimeoutMs: 5000 }, dataDir);
  const passwords = new Map<string, string>();
  try {
    await storage.addArea(db.kysely, { id: 'fault-commune', level: 'commune', name: 'Xã Thử Lỗi', kind: 'rural' });
    for (const householdId of new Set(devices.map((d) => d.householdId))) await storage.addHousehold(db.kysely, { id: householdId, areaId: 'fault-commune', address: `${householdId}, thôn 1` });
    for (const d of devices) {
      const password = newDevicePassword();
      await storage.addDevice(db.kysely, { id: d.deviceId, householdId: d.householdId, credentialHash: await hashDevicePassword(password) });
      passwords.set(d.deviceId, password);
    }
  } finally {
    await db.close();
  }
  return passwords;
}

/** `khoa hub` as a child process on a data dir (its SQLite file), detector workers off unless asked. */
export async function startHubChild(c: Cleanups, dataDir: string, env: Record<string, string> = {}): Promise<HubProcess> {
  const hub = await startHubProcess({ KHOA_DATA_DIR: dataDir, KHOA_PIPELINE_WORKERS: '0', ...env });
  c.push(() => hub.kill());
  return hub;
}

/** A read-only view of a hub's SQLite file from the test process (WAL lets it read while the hub writes). */
export function openReader(c: Cleanups, dataDir: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(join(dataDir, 'khoa.sqlite'), { readonly: true });
  c.push(() => db.close());
  return db;
}
