/**
 * What the agent-side fault scenarios share: a real hub that can be stopped and started again on
 * the same port and SQLite file, real edge agents with simulated locks, and the audit that
 * compares what the agents made with what the hub stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, validateSettings, createLogger, hashDevicePassword, storage, type Hub, type Settings } from '@khoa/hub';
import { startAgent, type Agent, type AgentOptions, type AgentTuning } from '@khoa/edge-agent';
import { createAgentConfig, newDevicePassword } from '@khoa/firmware-config';
import type { AgentConfig, LockEventType } from '@khoa/protocol';
import { freePort } from '../../hub/src/testing/ports.ts';
import type { FaultOutcome } from './scenario.ts';

export const quiet = createLogger('silent');
/** KHOA_TEST_LOG=warn (or debug) shows the hub's log of a fault run. */
const hubLog = createLogger((process.env.KHOA_TEST_LOG as 'warn' | 'debug' | undefined) ?? 'silent');

/** Agent timers shrunk to test scale; the link and queue logic is untouched. */
export const FAST_TUNING: Partial<AgentTuning> = {
  reconnectMinMs: 50,
  reconnectMaxMs: 400,
  heartbeatIntervalMs: 60_000,
  queueFsync: 'never',
  connectTimeoutMs: 2000,
  queueCursorFlushMs: 100,
};


export { freePort, sleep };

export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface SentEvent {
  lockId: string;
  seq: number;
  type: LockEventType;
}

export interface RigAgent {
  /** Replaced by `restartAgent`. */
  agent: Agent;
  config: AgentConfig;
  options: AgentOptions;
  deviceId: string;
  householdId: string;
  dataDir: string;
  /** Every event the agent made (queued), in the order it made them. */
  sent: SentEvent[];
  /** Seqs the hub acknowledged (PUBACK). */
  acked: Set<number>;
}

/**
 * A hub on a fixed port and data dir, so `restart()` brings back the same broker address and
 * the same SQLite file the agents already know.
 */
export class Rig {
  hub: Hub | null = null;
  readonly agents: RigAgent[] = [];
  private readonly dirs: string[] = [];
  private areaReady = false;
  private readonly households = new Set<string>();
  /** Run after the agents and hub stop and before the temp dirs go (unmounting what a scenario mounted). */
  readonly beforeRemove: Array<() => void> = [];

  private constructor(
    readonly port: number,
    readonly settings: Settings,
    private readonly hubNow: (() => number) | undefined,
  ) {}

  static async start(opts: { rules?: Partial<Settings['rules']>; hubNow?: () => number } = {}): Promise<Rig> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'khoa-fault-hub-'));
    const settings = validateSettings({
      dataDir,
      logLevel: 'silent',
      pipeline: { workers: 0 },
      mqtt: { host: '127.0.0.1', port },
      http: { host: '127.0.0.1', port: 0 },
      rules: { tickMs: 200, ...opts.rules },
    });
    const rig = new Rig(port, settings, opts.hubNow);
    rig.dirs.push(dataDir);
    await rig.startHub();
    return rig;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  current(): Hub {
    if (!this.hub) throw new Error('hub is not running');
    return this.hub;
  }

  async startHub(): Promise<Hub> {
    this.hub = await startHub(this.settings, { logger: hubLog, ...(this.hubNow ? { now: this.hubNow } : {}) });
    return this.hub;
  }

  async stopHub(): Promise<void> {
    const h = this.hub;
    this.hub = null;
    await h?.stop();
  }

  tmp(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  /** Provisions a device and starts a real agent for it with simulated locks; does not wait for the link. */
  async addAgent(o: { householdId: string; deviceId: string; locks: string[]; url?: string; dataDir?: string; options?: AgentOptions; tuning?: Partial<AgentTuning>; night?: { start: string; end: string } }): Promise<RigAgent> {
    const db = this.current().db.kysely;
    if (!this.areaReady) {
      await storage.addArea(db, { id: 'fault-commune', level: 'commune', name: 'Xã Lỗi', kind: 'rural' });
      this.areaReady = true;
    }
    if (!this.households.has(o.householdId)) {
      await storage.addHousehold(db, { id: o.householdId, areaId: 'fault-commune', address: `${o.householdId}, Thôn 1`, ...(o.night ? { nightStart: o.night.start, nightEnd: o.night.end } : {}) });
      this.households.add(o.householdId);
    }
    const password = newDevicePassword();
    await storage.addDevice(db, { id: o.deviceId, householdId: o.householdId, credentialHash: await hashDevicePassword(password) });
    const dataDir = o.dataDir ?? this.tmp('khoa-fault-agent-');
    const config = createAgentConfig({
      householdId: o.householdId,
      deviceId: o.deviceId,
      password,
      hubUrl: o.url ?? this.url,
      dataDir,
      locks: o.locks.map((id) => ({ id, kind: 'lock_with_door' as const, driver: 'simulator' })),
    });
    const options: AgentOptions = { log: quiet, ...o.options, tuning: { ...FAST_TUNING, ...o.tuning, ...o.options?.tuning } };
    const agent = await startAgent(config, options);
    const ra: RigAgent = { agent, config, options, deviceId: o.deviceId, householdId: o.householdId, dataDir, sent: [], acked: new Set() };
    this.track(ra);
    this.agents.push(ra);
    return ra;
  }

  /** Stops the agent process (as systemd would) and starts a new one on the same data dir. */
  async restartAgent(ra: RigAgent): Promise<void> {
    await ra.agent.stop();
    ra.agent = await startAgent(ra.config, ra.options);
    this.track(ra);
  }

  private track(ra: RigAgent): void {
    ra.agent.events.on('event', (lockId, e) => ra.sent.push({ lockId, seq: e.seq, type: e.type }));
    ra.agent.events.on('published', (seq) => ra.acked.add(seq));
  }

  /** Total rows in `events` for the rig's agents (duplicates included). */
  async storedRows(): Promise<number> {
    const db = this.current().db.kysely;
    const ids = this.agents.map((a) => a.deviceId);
    if (ids.length === 0) return 0;
    const r = await db.selectFrom('events').select(db.fn.countAll<number>().as('n')).where('device_id', 'in', ids).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** True once every agent is connected, its queue is empty, and the hub holds at least as many rows as were made. */
  async whole(): Promise<boolean> {
    if (!this.hub) return false;
    if (!this.agents.every((a) => a.agent.connected() && a.agent.queueDepth() === 0)) return false;
    const made = this.agents.reduce((n, a) => n + a.sent.length, 0);
    return (await this.storedRows()) >= made;
  }

  /**
   * Resolves with the moment (performance.now) every agent is connected and has had every event
   * it made before this call acknowledged: the backlog of an outage is through, even while new
   * events keep coming.
   */
  backlogDrained(timeoutMs: number): Promise<number> {
    const backlog = this.agents.map((a) => ({ a, seqs: a.sent.map((e) => e.seq) }));
    return until(() => backlog.every(({ a, seqs }) => a.agent.connected() && seqs.every((s) => a.acked.has(s))), timeoutMs, 'backlog drained').then(() => performance.now());
  }

  async audit(): Promise<Audit> {
    return auditEvents(this.current(), this.agents);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.agents.map((a) => a.agent.stop()));
    await this.stopHub().catch(() => {});
    for (const f of this.beforeRemove) f();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

export interface Audit {
  sent: number;
  /** Sent events stored exactly once. */
  stored: number;
  lost: number;
  /** Extra rows: a seq stored n times counts n - 1. */
  doubled: number;
  /** Per device, places where the stored order (by row id) goes back in seq. */
  outOfOrder: number;
  /** Rows whose type or lock differ from what the agent made under that seq. */
  mismatched: number;
  forcedSent: number;
  /** door_forced alerts whose source is one of the forced events, each counted once. */
  forcedAlerts: number;
  /** door_forced alerts beyond one per forced event. */
  alertsDoubled: number;
  /** agent_offline alerts for the rig's devices. */
  offlineAlerts: number;
}

/** An audit's counts as the FaultOutcome fields every agent-side scenario reports. */
export function auditOutcome(a: Audit): Pick<FaultOutcome, 'sent' | 'stored' | 'lost' | 'doubled' | 'alertsExpected' | 'alertsRaised'> {
  return { sent: a.sent, stored: a.stored, lost: a.lost, doubled: a.doubled, alertsExpected: a.forcedSent, alertsRaised: a.forcedAlerts };
}

export async function auditEvents(hub: Hub, agents: readonly RigAgent[]): Promise<Audit> {
  const db = hub.db.kysely;
  const a: Audit = { sent: 0, stored: 0, lost: 0, doubled: 0, outOfOrder: 0, mismatched: 0, forcedSent: 0, forcedAlerts: 0, alertsDoubled: 0, offlineAlerts: 0 };
  for (const ag of agents) {
    const rows = await db.selectFrom('events').select(['id', 'seq', 'lock_id', 'type']).where('device_id', '=', ag.deviceId).orderBy('id').execute();
    const bySeq = new Map<number, number>();
    let prev = -Infinity;
    for (const r of rows) {
      const seq = Number(r.seq);
      bySeq.set(seq, (bySeq.get(seq) ?? 0) + 1);
      if (seq <= prev) a.outOfOrder++;
      prev = seq;
    }
    const made = new Map(ag.sent.map((e) => [e.seq, e]));
    for (const r of rows) {
      const e = made.get(Number(r.seq));
      if (e && (e.lockId !== r.lock_id || e.type !== r.type)) a.mismatched++;
    }
    a.sent += ag.sent.length;
    for (const e of ag.sent) {
      const n = bySeq.get(e.seq) ?? 0;
      if (n >= 1) a.stored++;
      else a.lost++;
      if (n > 1) a.doubled += n - 1;
    }
    const forcedSeqs = new Set(ag.sent.filter((e) => e.type === 'forced').map((e) => e.seq));
    a.forcedSent += forcedSeqs.size;
    const alerts = await db
      .selectFrom('alerts')
      .innerJoin('events', 'events.id', 'alerts.source_event_id')
      .select(['alerts.id', 'events.seq'])
      .where('alerts.device_id', '=', ag.deviceId)
      .where('alerts.kind', '=', 'door_forced')
      .execute();
    const alerted = new Map<number, number>();
    for (const al of alerts) {
      const seq = Number(al.seq);
      if (forcedSeqs.has(seq)) alerted.set(seq, (alerted.get(seq) ?? 0) + 1);
    }
    a.forcedAlerts += alerted.size;
    for (const n of alerted.values()) a.alertsDoubled += n - 1;
    const off = await db.selectFrom('alerts').select(db.fn.countAll<number>().as('n')).where('device_id', '=', ag.deviceId).where('kind', '=', 'agent_offline').executeTakeFirstOrThrow();
    a.offlineAlerts += Number(off.n);
  }
  return a;
}

/** Reads a hub counter or gauge (sum over its label sets); 0 while the hub is down. */
export async function hubMetric(hub: Hub | null, name: string): Promise<number> {
  const m = await hub?.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

/** Reads a counter or gauge of an agent's own registry (single series, or the sum of all). */
export async function agentMetric(agent: Agent, name: string): Promise<number> {
  const m = await agent.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

/**
 * Plays lock events on every agent: ordinary traffic on a timer, plus exactly one `forced` per
 * lock at a random moment, so each forced door must give exactly one door_forced alert (the hub
 * keeps one open alert per lock, so a second forced on the same lock would rightly raise nothing).
 */
export function produce(agents: readonly RigAgent[], locks: readonly string[], opts: { everyMs: number; forceWithinMs: number; random?: () => number }): { stop(): void } {
  const rnd = opts.random ?? Math.random;
  const types: LockEventType[] = ['unlocked', 'door_open', 'door_closed', 'locked'];
  let i = 0;
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  const tick = setInterval(() => {
    for (const a of agents) {
      const lock = locks[i % locks.length]!;
      a.agent.simulator(lock).emit(types[i % types.length]!);
    }
    i++;
  }, opts.everyMs);
  for (const a of agents) {
    for (const lock of locks) timers.push(setTimeout(() => a.agent.simulator(lock).emit('forced'), Math.floor(rnd() * opts.forceWithinMs)));
  }
  return {
    stop() {
      clearInterval(tick);
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** A small deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
