import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { hubMetric } from '../../hub/src/scale-out/hub-process.ts';
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { awaitFleetSettled, Cleanups, forceAll, openReader, produceDoorEvents, provisionDataDir, sleep, startFleet, startHubChild } from './hub-fault-support.ts';

const holderScript = fileURLToPath(new URL('./sqlite-lock-holder.ts', import.meta.url));
/** Locks forced one after another while the lock is being taken, so some land between an event's write and its alert's. */
const EDGE_LOCKS = Array.from({ length: 10 }, (_, i) => `edge${i}`);

export interface SqliteLockedOptions {
  agents?: number;
  /** How long the other process holds the write lock; longer than the command-line tools' busy_timeout (5 s), so far longer than the hub's (0.25 s). */
  holdMs?: number;
  /** Each agent's door sensor reports this often throughout. */
  periodMs?: number;
  progress?: (line: string) => void;
}

/**
 * Issue 9, "SQLite busy/locked": real agents stream QoS 1 lock events (door sensors every
 * `periodMs`, and one forced door per agent before, during and after the fault) while another
 * process holds the hub's SQLite file under BEGIN EXCLUSIVE for longer than the hub's
 * busy_timeout; more doors are forced while the lock is being taken, so some events are stored
 * just before it and their alerts must wait for it. The hub must not acknowledge what it could not store: the agents keep those
 * events queued and resend them, and once the lock is gone each is stored once and each forced
 * door raises its alert once.
 */
export async function runSqliteLocked(o: SqliteLockedOptions = {}): Promise<FaultOutcome> {
  const agents = o.agents ?? 10;
  const holdMs = o.holdMs ?? 7000;
  const periodMs = o.periodMs ?? 25;
  const say = o.progress ?? (() => {});
  const c = new Cleanups();
  try {
    // The hub runs as its own process, as in production: a lock wait blocks the hub's event
    // loop (better-sqlite3 is synchronous) but not the agents, which keep producing meanwhile.
    const dataDir = c.tmp('khoa-fault-sqlbusy-');
    const ids = Array.from({ length: agents }, (_, i) => ({ householdId: `hh-sqlbusy-${i}`, deviceId: `agent-sqlbusy-${i}` }));
    const passwords = await provisionDataDir(dataDir, ids);
    const hub = await startHubChild(c, dataDir);
    const url = `mqtt://127.0.0.1:${hub.mqttPort}`;
    const file = join(dataDir, 'khoa.sqlite');
    const reader = openReader(c, dataDir);
    const metric = (name: string, labels: Record<string, string> = {}) => hubMetric({ http: hub.httpPort }, name, labels);

    const fleet = await startFleet(c, url, ids, passwords, ['door', 'before', 'during', 'after', ...EDGE_LOCKS]);
    const stopProducing = produceDoorEvents(c, fleet, periodMs);
    const force = (lockId: string) => forceAll(fleet, lockId);

    force('before');
    await sleep(500);
    const failuresBefore = await metric('khoa_ingest_failures_total', { kind: 'lock_event' });

    const holdStartForceMs = 150;
    const holder = spawn(process.execPath, ['--import', 'tsx', holderScript, file, String(holdMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.push(() => holder.kill('SIGKILL'));
    let holderErr = '';
    holder.stderr.on('data', (d: Buffer) => (holderErr += d.toString()));
    const lines = createInterface({ input: holder.stdout });
    const marks = new Map<string, number>();
    const marked = (what: string) =>
      new Promise<number>((resolve, reject) => {
        lines.on('line', (l) => {
          const [word, at] = l.split(' ');
          if (word) marks.set(word, Number(at));
          if (word === what) resolve(Number(at));
        });
        holder.once('exit', (code) => (marks.has(what) ? resolve(marks.get(what)!) : reject(new Error(`lock holder exited (${code}) before "${what}": ${holderErr}`))));
      });
    const released = marked('released');
    const locked = marked('locked');
    let isLocked = false;
    void locked.then(() => (isLocked = true), () => {});
    // The holder needs about a second to start; force doors until just after it holds the lock.
    for (const lockId of EDGE_LOCKS) {
      if (isLocked) break;
      force(lockId);
      await sleep(holdStartForceMs);
    }
    await locked;
    // How long the hub stops answering HTTP while its writes wait on the lock (better-sqlite3
    // waits out busy_timeout synchronously, on the event loop): for the notes, not asserted.
    let slowestMs = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t0 = Date.now();
        await fetch(`http://127.0.0.1:${hub.httpPort}/healthz`).catch(() => {});
        slowestMs = Math.max(slowestMs, Date.now() - t0);
        await sleep(100);
      }
    })();
    say(`sqlite-locked: ${file} locked by pid ${holder.pid} for ${holdMs} ms`);
    await sleep(Math.min(1000, holdMs / 4));
    force('during');
    const releasedAt = await released;
    probing = false;
    await prober;
    say('sqlite-locked: lock released');
    force('after');
    await sleep(500);
    stopProducing();

    const { recoveredAt, counts, alertsExpected, alertsRaised, alertsDoubled } = await awaitFleetSettled(reader, fleet, 60_000);
    const failures = (await metric('khoa_ingest_failures_total', { kind: 'lock_event' })) - failuresBefore;
    const ruleFailures = await metric('khoa_rule_failures_total');
    // Counted by the hub as raised (stored and announced); more than the rows would be a double.
    const announced = await metric('khoa_alerts_raised_total', { kind: 'door_forced' });
    const healthy = (await fetch(`http://127.0.0.1:${hub.httpPort}/healthz`)).ok;
    const doubledAlerts = alertsDoubled + Math.max(0, announced - alertsRaised);
    return {
      fault: `SQLite file write-locked ${(holdMs / 1000).toFixed(1)} s by another process (BEGIN EXCLUSIVE; the hub waits 0.25 s at most, db.hubBusyTimeoutMs)`,
      sent: counts.sent,
      stored: counts.stored,
      lost: counts.lost,
      doubled: counts.doubled + doubledAlerts,
      alertsExpected,
      alertsRaised,
      recoverySeconds: recoveredAt === null ? null : Math.max(0, (recoveredAt - releasedAt) / 1000),
      notes: `${agents} agents; ${failures} lock-event writes failed and were not acknowledged (khoa_ingest_failures_total{kind="lock_event"}), resent by the agents; rule failures ${ruleFailures}; /healthz took up to ${(slowestMs / 1000).toFixed(1)} s to answer during the lock; hub ${healthy ? 'answered /healthz' : 'did NOT answer /healthz'} after`,
    };
  } finally {
    await c.run();
  }
}

export const sqliteLocked: FaultScenario = {
  id: 'sqlite-locked',
  title: 'SQLite busy/locked',
  run: (opts) => runSqliteLocked({ progress: opts?.progress }),
};
