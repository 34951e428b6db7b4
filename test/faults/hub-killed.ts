import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { hubMetric } from '../../hub/src/scale-out/hub-process.ts';
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { awaitFleetSettled, Cleanups, forceAll, freePort, openReader, produceDoorEvents, provisionDataDir, sleep, startFleet, startHubChild, until } from './hub-fault-support.ts';

export interface HubKilledOptions {
  agents?: number;
  /** Each agent's door sensor reports this often throughout. */
  periodMs?: number;
  /** How long the hub stays dead before it is started again. */
  downMs?: number;
  /**
   * Alert writes fail (a trigger another connection puts on the alerts table) from just before
   * the forced doors until the hub is dead, and the kill comes after their rules have failed:
   * those events are stored and acknowledged with their alerts still to raise, which only the
   * restarted hub's resume sweep can do.
   */
  alertWritesFailing?: boolean;
  progress?: (line: string) => void;
}

/**
 * Issue 9, "hub killed": `khoa hub` as a child process is SIGKILLed while real agents stream
 * QoS 1 lock events, a forced door on every agent sent a moment before the kill (so some are
 * stored with their rules unfinished, or not stored, or stored and unacknowledged), then started
 * again on the same data dir and port. The agents resend what was never acknowledged; the hub
 * must store each event once and raise each forced door's alert once (rules_done_at: a resent
 * copy whose rules never ran is finished at once).
 */
export async function runHubKilled(o: HubKilledOptions = {}): Promise<FaultOutcome> {
  const agents = o.agents ?? 10;
  const periodMs = o.periodMs ?? 10;
  const downMs = o.downMs ?? 500;
  const say = o.progress ?? (() => {});
  const c = new Cleanups();
  try {
    const dataDir = c.tmp('khoa-fault-killed-');
    const ids = Array.from({ length: agents }, (_, i) => ({ householdId: `hh-killed-${i}`, deviceId: `agent-killed-${i}` }));
    const passwords = await provisionDataDir(dataDir, ids);
    // The same port after the restart, as a systemd restart would give: agents reconnect to the URL they know.
    const env: Record<string, string> = { KHOA_MQTT_PORT: String(await freePort()) };
    // The sweep's timers shortened (30 s and 15 s by default) so the scenario does not wait on them.
    if (o.alertWritesFailing) Object.assign(env, { KHOA_RULES_TICK_MS: '1000', KHOA_RULES_RESUME_LEASE_MS: '2000' });
    const first = await startHubChild(c, dataDir, env);
    const url = `mqtt://127.0.0.1:${first.mqttPort}`;
    const fleet = await startFleet(c, url, ids, passwords, ['door', 'before', 'kill', 'after']);
    const stopProducing = produceDoorEvents(c, fleet, periodMs);
    const force = (lockId: string) => forceAll(fleet, lockId);

    force('before');
    await sleep(800);
    // A burst with the forced doors in its middle, then the kill a few milliseconds later: the
    // hub dies with a backlog in hand, some events stored and not yet acknowledged, some forced
    // doors stored with their rules unfinished.
    const burst = () => fleet.forEach((f) => {
      for (let k = 0; k < 30; k++) f.agent.simulator('door').emit(k % 2 === 0 ? 'door_open' : 'door_closed');
    });
    let writer: SqliteDatabase.Database | undefined;
    if (o.alertWritesFailing) {
      writer = new SqliteDatabase(join(dataDir, 'khoa.sqlite'));
      c.push(() => writer?.close());
      writer.pragma('busy_timeout = 5000');
      writer.exec(`create trigger fault_alerts before insert on alerts begin select raise(abort, 'injected alert write failure'); end`);
    }
    burst();
    force('kill');
    burst();
    // Past raise's own retries (2.6 s): the rules have failed and the events are acknowledged.
    await sleep(o.alertWritesFailing ? 4000 : 5);
    await first.kill();
    if (writer) {
      writer.exec('drop trigger fault_alerts');
      writer.close();
      writer = undefined;
    }
    const madeAtKill = fleet.reduce((s, f) => s + f.made.size, 0);
    say(`hub-killed: SIGKILL after ${madeAtKill} events made`);
    await until(() => fleet.every((f) => !f.agent.connected()), 5000);
    await sleep(downMs);
    const restartAt = Date.now();
    const second = await startHubChild(c, dataDir, env);
    const startupMs = Date.now() - restartAt;
    say(`hub-killed: restarted in ${startupMs} ms`);
    force('after');
    await sleep(800);
    stopProducing();

    const reader = openReader(c, dataDir);
    const { recoveredAt, counts, alertsExpected, alertsRaised, alertsDoubled } = await awaitFleetSettled(reader, fleet, 30_000);
    const unfinished = reader.prepare<[], { n: number }>('select count(*) as n from events where rules_done_at is null or rules_done_at < 0').get()?.n ?? 0;
    const replays = await hubMetric({ http: second.httpPort }, 'khoa_events_duplicate_total');
    return {
      fault: `hub process SIGKILLed mid-stream${o.alertWritesFailing ? ' while its alert writes failed' : ''}, restarted on the same data dir after ${(downMs / 1000).toFixed(1)} s`,
      sent: counts.sent,
      stored: counts.stored,
      lost: counts.lost,
      doubled: counts.doubled + alertsDoubled,
      alertsExpected,
      alertsRaised,
      recoverySeconds: recoveredAt === null ? null : (recoveredAt - restartAt) / 1000,
      notes: `${agents} agents, ${madeAtKill} events made before the kill; ${replays} resent copies recognised as replays after the restart; ${unfinished} events left with unfinished rules; recovery counted from the restart, of which ${(startupMs / 1000).toFixed(1)} s the hub's start-up`,
    };
  } finally {
    await c.run();
  }
}

export const hubKilled: FaultScenario = {
  id: 'hub-killed',
  title: 'hub process killed (SIGKILL) and restarted',
  run: (opts) => runHubKilled({ progress: opts?.progress }),
};
