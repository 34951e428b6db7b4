/**
 * broker-restart: the hub (and with it its embedded broker) is stopped gracefully and started
 * again on the same port and database while every agent keeps producing lock events, forced
 * doors included. Recovery is measured from the moment the new hub listens until every agent is
 * connected again and everything it had queued during the outage is acknowledged.
 */
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { agentMetric, hubMetric, produce, Rig, seeded, sleep, until, auditOutcome } from './agent-rig.ts';

export interface BrokerRestartOptions {
  agents: number;
  locks: number;
  /** Production before the stop. */
  beforeSeconds: number;
  /** How long the hub stays down. */
  downSeconds: number;
  /** Production after the hub is back, concurrent with the drain. */
  afterSeconds: number;
  eventEveryMs: number;
  /** The agents' reconnect backoff cap: it bounds how long after the hub's return an agent notices. */
  reconnectMaxMs: number;
  seed: number;
}

export const BROKER_RESTART_DEFAULTS: BrokerRestartOptions = { agents: 20, locks: 2, beforeSeconds: 5, downSeconds: 10, afterSeconds: 5, eventEveryMs: 100, reconnectMaxMs: 5000, seed: 4 };

export interface BrokerRestartOutcome extends FaultOutcome {
  /** Events the agents had queued when the hub came back. */
  queuedAtReturn: number;
  outOfOrder: number;
  mismatched: number;
  alertsDoubled: number;
  offlineAlerts: number;
  reconnects: number;
  hubStopSeconds: number;
}

export async function runBrokerRestart(o: Partial<BrokerRestartOptions> = {}, progress: (line: string) => void = () => {}): Promise<BrokerRestartOutcome> {
  const opt = { ...BROKER_RESTART_DEFAULTS, ...o };
  const rnd = seeded(opt.seed);
  // Grace far beyond the outage: a planned restart must not page the police about every agent.
  const rig = await Rig.start({ rules: { agentOfflineGraceMs: 120_000 } });
  try {
    const locks = Array.from({ length: opt.locks }, (_, i) => `door${i}`);
    for (let i = 0; i < opt.agents; i++) {
      await rig.addAgent({ householdId: `hh-restart-${i}`, deviceId: `agent-restart-${i}`, locks, tuning: { reconnectMinMs: 100, reconnectMaxMs: opt.reconnectMaxMs, random: rnd } });
    }
    await until(() => rig.agents.every((a) => a.agent.connected()), 30_000, 'agents connected');
    const total = opt.beforeSeconds + opt.downSeconds + opt.afterSeconds;
    progress(`broker-restart: ${opt.agents} agents, hub down ${opt.downSeconds} s in a ${total} s run`);
    // Forced doors land before, during and after the outage.
    const producer = produce(rig.agents, locks, { everyMs: opt.eventEveryMs, forceWithinMs: total * 900, random: rnd });
    await sleep(opt.beforeSeconds * 1000);
    const stopStarted = performance.now();
    await rig.stopHub();
    const hubStopSeconds = Math.round((performance.now() - stopStarted) / 10) / 100;
    await until(() => rig.agents.every((a) => !a.agent.connected()), 10_000, 'agents notice the hub is gone');
    await sleep(opt.downSeconds * 1000);
    await rig.startHub();
    const back = performance.now();
    const queuedAtReturn = rig.agents.reduce((n, a) => n + a.agent.queueDepth(), 0);
    // Measured while production goes on: the backlog made before the return, not the newest events.
    const drained = rig.backlogDrained(60_000);
    drained.catch(() => {});
    await sleep(opt.afterSeconds * 1000);
    producer.stop();
    await until(() => rig.whole(), 60_000, 'agents reconnected and queues drained');
    const recoverySeconds = Math.round((Math.max(await drained, back) - back) / 10) / 100;
    // The rules of the last stored events may still be running when the counts match.
    await sleep(500);
    const a = await rig.audit();
    const replays = await hubMetric(rig.hub, 'khoa_events_duplicate_total');
    const reconnects = (await Promise.all(rig.agents.map((x) => agentMetric(x.agent, 'khoa_agent_mqtt_reconnects_total')))).reduce((x, y) => x + y, 0);
    progress(`broker-restart: ${a.sent} sent, ${a.stored} stored, ${queuedAtReturn} queued at the hub's return, recovery ${recoverySeconds} s`);
    return {
      fault: `hub (embedded broker) stopped gracefully and restarted after ${opt.downSeconds} s, ${opt.agents} agents producing`,
      ...auditOutcome(a),
      recoverySeconds,
      queuedAtReturn,
      outOfOrder: a.outOfOrder,
      mismatched: a.mismatched,
      alertsDoubled: a.alertsDoubled,
      offlineAlerts: a.offlineAlerts,
      reconnects,
      hubStopSeconds,
      notes: `${queuedAtReturn} events queued on the agents at the hub's return; recovery includes the agents' backoff (cap ${opt.reconnectMaxMs / 1000} s) and production continuing meanwhile; ${replays} resent copies dropped by the new hub; graceful stop took ${hubStopSeconds} s`,
    };
  } finally {
    await rig.close();
  }
}

export const brokerRestart: FaultScenario = {
  id: 'broker-restart',
  title: 'Hub and its broker restarted while agents keep producing',
  run: (opts) => runBrokerRestart({}, opts?.progress),
};
