/**
 * agent-clock-skew: agents whose clocks are hours ahead of or behind the hub's (a Pi without a
 * real-time clock before NTP answers, or a wrong time zone set as UTC) report lock events, live
 * and from a backlog queued while the hub was away. The hub must store each event once in seq
 * order and base its time rules (lock left open at night, agent offline) on its own time: a
 * lock unlocked a minute ago must not count as "open since hours" because the agent says so.
 */
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { hubMetric, Rig, sleep, until, type RigAgent, auditOutcome } from './agent-rig.ts';

const HOUR = 3_600_000;

export interface ClockSkewOptions {
  /** Agent clock minus real time, one agent per entry (0 is the control). */
  skewsMs: number[];
  /** How long the hub is down while the agents unlock (the backlog phase). */
  downSeconds: number;
}

export const CLOCK_SKEW_DEFAULTS: ClockSkewOptions = { skewsMs: [-5 * HOUR, -3 * HOUR, 0, 3 * HOUR, 9 * HOUR], downSeconds: 3 };

export interface AgentSkewResult {
  skewHours: number;
  /** lock_state_at the hub recorded minus the real moment of the unlock, live and from the backlog. */
  liveStateErrorS: number;
  backlogStateErrorS: number;
  /** lock_open_night alerts (none is right: every unlock is minutes old, the grace an hour). */
  nightAlerts: number;
  /** Whether a stored device_ts differs from the hub's receipt by about the skew (the raw device time is kept). */
  deviceTsKeptRaw: boolean;
}

export interface ClockSkewOutcome extends FaultOutcome {
  agents: AgentSkewResult[];
  outOfOrder: number;
  alertsDoubled: number;
  /**
   * lock_open_night alerts once the hub's own clock is moved 90 minutes on (past the hour of
   * grace, still in the night): two per agent (front unlocked, back door forced open) show the
   * rule was live and counts on hub time.
   */
  nightAlertsAfterHubAdvance: number;
  /** Connections the hub flagged as running on a skewed clock (khoa_device_clock_skewed_total). */
  skewFlagged: number;
}

/** "HH:MM" in Asia/Ho_Chi_Minh (UTC+7, no daylight saving), the households' default zone. */
function vnClock(t: number): string {
  const d = new Date(t + 7 * HOUR);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

async function lockRow(rig: Rig, a: RigAgent) {
  const db = rig.current().db.kysely;
  return db.selectFrom('locks').selectAll().where('device_id', '=', a.deviceId).where('lock_id', '=', 'front').executeTakeFirst();
}

export async function runAgentClockSkew(o: Partial<ClockSkewOptions> = {}, progress: (line: string) => void = () => {}): Promise<ClockSkewOutcome> {
  const opt = { ...CLOCK_SKEW_DEFAULTS, ...o };
  // An hour of grace into the night: any alert within this run comes from a wrong "since".
  let hubShiftMs = 0;
  const rig = await Rig.start({ rules: { lockOpenNightMinutes: 60, agentOfflineGraceMs: 120_000 }, hubNow: () => Date.now() + hubShiftMs });
  try {
    // The households' night began two hours ago by the hub's clock and lasts two more.
    const now = Date.now();
    const night = { start: vnClock(now - 2 * HOUR), end: vnClock(now + 2 * HOUR) };
    for (const [i, skew] of opt.skewsMs.entries()) {
      await rig.addAgent({ householdId: `hh-skew-${i}`, deviceId: `agent-skew-${i}`, locks: ['front', 'back'], night, options: { clock: { now: () => Date.now() + skew } } });
    }
    await until(() => rig.agents.every((a) => a.agent.connected()), 20_000, 'agents connected');
    progress(`agent-clock-skew: ${opt.skewsMs.length} agents, clocks off by ${opt.skewsMs.map((s) => s / HOUR).join(', ')} h`);

    // Live: unlock, then force the back door.
    const liveAt = Date.now();
    for (const a of rig.agents) {
      a.agent.simulator('front').emit('unlocked');
      a.agent.simulator('back').emit('forced');
    }
    await until(() => rig.whole(), 20_000, 'live events stored');
    const live = await Promise.all(rig.agents.map((a) => lockRow(rig, a)));
    const deviceTs = await Promise.all(
      rig.agents.map((a) => rig.current().db.kysely.selectFrom('events').select(['device_ts', 'received_at']).where('device_id', '=', a.deviceId).where('type', '=', 'unlocked').executeTakeFirstOrThrow()),
    );

    // Backlog: the hub goes away, the doors are locked and unlocked again, the hub returns.
    await rig.stopHub();
    await until(() => rig.agents.every((a) => !a.agent.connected()), 10_000, 'agents see the hub gone');
    for (const a of rig.agents) a.agent.simulator('front').emit('locked');
    const backlogAt = Date.now();
    for (const a of rig.agents) a.agent.simulator('front').emit('unlocked');
    await sleep(opt.downSeconds * 1000);
    await rig.startHub();
    const back = performance.now();
    await until(() => rig.whole(), 30_000, 'backlog delivered');
    const recoverySeconds = Math.round((performance.now() - back) / 10) / 100;
    const afterBacklog = await Promise.all(rig.agents.map((a) => lockRow(rig, a)));
    // Several rule ticks with every lock open in the household's night.
    await sleep(10 * rig.settings.rules.tickMs);

    const db = rig.current().db.kysely;
    const results: AgentSkewResult[] = [];
    for (const [i, a] of rig.agents.entries()) {
      const nightAlerts = await db.selectFrom('alerts').select(db.fn.countAll<number>().as('n')).where('device_id', '=', a.deviceId).where('kind', '=', 'lock_open_night').executeTakeFirstOrThrow();
      const d = deviceTs[i]!;
      const skew = opt.skewsMs[i]!;
      results.push({
        skewHours: skew / HOUR,
        liveStateErrorS: Math.round((Number(live[i]?.lock_state_at ?? NaN) - liveAt) / 1000),
        backlogStateErrorS: Math.round((Number(afterBacklog[i]?.lock_state_at ?? NaN) - backlogAt) / 1000),
        nightAlerts: Number(nightAlerts.n),
        deviceTsKeptRaw: Math.abs(Number(d.device_ts) - Number(d.received_at) - skew) < 60_000,
      });
    }
    const a = await rig.audit();
    hubShiftMs = 90 * 60_000;
    await sleep(10 * rig.settings.rules.tickMs);
    const advanced = await db.selectFrom('alerts').select(db.fn.countAll<number>().as('n')).where('device_id', 'in', rig.agents.map((x) => x.deviceId)).where('kind', '=', 'lock_open_night').executeTakeFirstOrThrow();
    const nightAlertsAfterHubAdvance = Number(advanced.n) - results.reduce((n, r) => n + r.nightAlerts, 0);
    const skewFlagged = await hubMetric(rig.hub, 'khoa_device_clock_skewed_total');
    const wrongNight = results.reduce((n, r) => n + r.nightAlerts, 0);
    const worst = Math.max(...results.map((r) => Math.max(Math.abs(r.liveStateErrorS), Math.abs(r.backlogStateErrorS))));
    progress(`agent-clock-skew: ${a.sent} sent, ${a.stored} stored, worst lock-state time error ${worst} s, ${wrongNight} wrong night alerts`);
    return {
      fault: `agent clocks off by ${opt.skewsMs.map((s) => `${s > 0 ? '+' : ''}${s / HOUR}`).join('/')} h, live and after a ${opt.downSeconds} s hub outage`,
      ...auditOutcome(a),
      alertsRaised: a.forcedAlerts + wrongNight,
      recoverySeconds,
      agents: results,
      outOfOrder: a.outOfOrder,
      alertsDoubled: a.alertsDoubled,
      nightAlertsAfterHubAdvance,
      skewFlagged,
      notes: `${wrongNight} lock_open_night alerts from skewed "since" times; worst lock-state time error ${worst} s; ${skewFlagged} connections flagged as skewed; with the hub clock 90 min on, ${nightAlertsAfterHubAdvance} night alerts (one per insecure lock); device_ts stored as the device sent it, the console shows the hub's receipt time`,
    };
  } finally {
    await rig.close();
  }
}

export const agentClockSkew: FaultScenario = {
  id: 'agent-clock-skew',
  title: 'Agent clock hours ahead or behind the hub',
  run: (opts) => runAgentClockSkew({}, opts?.progress),
};
