/**
 * agent-disk-full: the agent's data dir (its store-and-forward queue) is on a small real
 * filesystem (tmpfs) that fills up while the hub is unreachable. The agent must not crash, must
 * say so once (coded error in its log, metrics), keep what it already stored, hold the newest
 * events in memory up to its bound, write them back to disk when space returns, and deliver
 * everything it kept, in order, when the hub does. What it had to drop is counted and reaches
 * the hub in its heartbeat.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { agentMetric, auditEvents, hubMetric, Rig, until, auditOutcome } from './agent-rig.ts';

/** Whether this machine lets us mount a tmpfs (root in a container that allows it). */
export function canMountTmpfs(): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'khoa-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmdirSync(dir);
  }
}

/** Writes a file until the filesystem refuses (ENOSPC); returns the bytes it took. */
function fillUp(file: string): number {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(4096, 1);
  let total = 0;
  try {
    for (;;) total += fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

/** A pino logger that keeps the agent's log lines for the checks (the agent logs JSON lines). */
function capturingLogger(lines: Array<{ level: number; msg: string; err?: { code?: string; context?: { code?: string } } }>) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as (typeof lines)[number]);
      cb();
    },
  });
  return pino({ level: 'info' }, sink);
}

export interface DiskFullOptions {
  /** Events per agent while the link is up, while the hub is away with disk space, and after the disk filled. */
  before: number;
  onDisk: number;
  afterFull: number;
  /** The memory bound of the agent that must lose nothing (>= afterFull) and of the one that must drop (< afterFull). */
  memoryBoundKept: number;
  memoryBoundSmall: number;
  fsKiB: number;
}

export const DISK_FULL_DEFAULTS: DiskFullOptions = { before: 20, onDisk: 200, afterFull: 600, memoryBoundKept: 1000, memoryBoundSmall: 250, fsKiB: 512 };

export interface DiskFullAgentResult {
  deviceId: string;
  memoryBound: number;
  sent: number;
  stored: number;
  lost: number;
  /** What the agent counted as dropped (khoa_agent_queue_dropped_total). */
  droppedCounted: number;
  /** ENOSPC writes counted, and error lines logged about the disk (one per outage is right). */
  writeErrors: number;
  storageErrorLogs: number;
  /** The coded error logged: KHOA_ERR_STORAGE with the errno. */
  loggedCode: string | undefined;
  loggedErrno: string | undefined;
  /** Held in memory only while the disk was full (before space returned). */
  memoryOnlyWhileFull: number;
  storageOkWhileFull: boolean;
  /** Events in the queue after space returned and the agent was restarted (only the restarted one). */
  queuedAfterRestart: number | null;
}

export interface DiskFullOutcome extends FaultOutcome {
  agents: DiskFullAgentResult[];
  /** khoa_agent_events_dropped_total on the hub, from the heartbeats. */
  droppedReportedToHub: number;
  outOfOrder: number;
  alertsDoubled: number;
}

export async function runAgentDiskFull(o: Partial<DiskFullOptions> = {}, progress: (line: string) => void = () => {}): Promise<DiskFullOutcome> {
  const opt = { ...DISK_FULL_DEFAULTS, ...o };
  const rig = await Rig.start();
  const mnt = rig.tmp('khoa-fault-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opt.fsKiB}k,mode=0700`, 'tmpfs', mnt]);
  } catch (err) {
    await rig.close();
    throw new Error(`agent-disk-full needs a tmpfs mount (root, and a container that allows mount): ${(err as Error).message}`, { cause: err });
  }
  let mounted = true;
  const unmount = () => {
    if (mounted) execFileSync('umount', [mnt]);
    mounted = false;
  };
  rig.beforeRemove.push(unmount);
  try {
    const logs = new Map<string, Parameters<typeof capturingLogger>[0]>();
    const bounds = [opt.memoryBoundKept, opt.memoryBoundSmall];
    for (const [i, bound] of bounds.entries()) {
      const lines: Parameters<typeof capturingLogger>[0] = [];
      const deviceId = `agent-disk-${i}`;
      logs.set(deviceId, lines);
      await rig.addAgent({
        householdId: `hh-disk-${i}`,
        deviceId,
        locks: ['front', 'back'],
        dataDir: path.join(mnt, deviceId),
        options: { log: capturingLogger(lines) },
        // fsync on, as on a Pi: the write path under test is the real one.
        tuning: { queueFsync: 'always', queueSegmentEvents: 50, queueMemoryMaxEvents: bound, queueRetryMs: 200 },
      });
    }
    await until(() => rig.agents.every((a) => a.agent.connected()), 20_000, 'agents connected');
    const emit = (n: number, lastForced = false) => {
      for (const a of rig.agents) {
        for (let k = 0; k < n; k++) a.agent.simulator('front').emit(k % 2 ? 'locked' : 'unlocked');
        // The newest event of the run, so even the agent that drops keeps it.
        if (lastForced) a.agent.simulator('back').emit('forced');
      }
    };
    emit(opt.before);
    await until(() => rig.whole(), 10_000, 'first events delivered');

    await rig.stopHub();
    await until(() => rig.agents.every((a) => !a.agent.connected()), 10_000, 'agents see the hub gone');
    emit(opt.onDisk);
    const filler = path.join(mnt, 'filler');
    const filled = fillUp(filler);
    progress(`agent-disk-full: ${opt.fsKiB} KiB tmpfs filled (${Math.round(filled / 1024)} KiB of filler), hub down`);
    emit(opt.afterFull - 1, true);
    const whileFull = rig.agents.map((a) => a.agent.queueStatus());
    const writeErrors = await Promise.all(rig.agents.map((a) => agentMetric(a.agent, 'khoa_agent_queue_write_errors_total')));
    const droppedBeforeRestart = await Promise.all(rig.agents.map((a) => agentMetric(a.agent, 'khoa_agent_queue_dropped_total')));

    // Space returns (the filler goes); the agents write what they hold back to disk on their own.
    fs.rmSync(filler);
    await until(() => rig.agents.every((a) => a.agent.queueStatus().storageOk && a.agent.queueStatus().memoryOnly === 0), 10_000, 'held events written back');
    // A restart now proves those events are on disk, not just in memory.
    const restarted = rig.agents[0]!;
    await rig.restartAgent(restarted);
    const queuedAfterRestart = restarted.agent.queueDepth();

    await rig.startHub();
    const back = performance.now();
    // The restarted agent counts drops from zero again; what its first process counted stands.
    const expectedDrops = droppedBeforeRestart.reduce((x, y) => x + y, 0);
    const expectStored = rig.agents.reduce((n, a) => n + a.sent.length, 0) - expectedDrops;
    await until(async () => rig.agents.every((a) => a.agent.connected() && a.agent.queueDepth() === 0) && (await rig.storedRows()) >= expectStored, 30_000, 'kept events delivered');
    const recoverySeconds = Math.round((performance.now() - back) / 10) / 100;
    await until(async () => (await hubMetric(rig.hub, 'khoa_agent_events_dropped_total')) >= expectedDrops, 10_000, 'drops reported to the hub').catch(() => {});
    const droppedReportedToHub = await hubMetric(rig.hub, 'khoa_agent_events_dropped_total');

    const results: DiskFullAgentResult[] = [];
    for (const [i, a] of rig.agents.entries()) {
      const audit = await auditEvents(rig.current(), [a]);
      const lines = logs.get(a.deviceId) ?? [];
      const storageLines = lines.filter((l) => l.level >= 50 && l.msg.startsWith('queue storage refuses writes'));
      results.push({
        deviceId: a.deviceId,
        memoryBound: bounds[i]!,
        sent: audit.sent,
        stored: audit.stored,
        lost: audit.lost,
        droppedCounted: droppedBeforeRestart[i] ?? 0,
        writeErrors: writeErrors[i] ?? 0,
        storageErrorLogs: storageLines.length,
        loggedCode: storageLines[0]?.err?.code,
        loggedErrno: storageLines[0]?.err?.context?.code,
        memoryOnlyWhileFull: whileFull[i]?.memoryOnly ?? -1,
        storageOkWhileFull: whileFull[i]?.storageOk ?? true,
        queuedAfterRestart: a === restarted ? queuedAfterRestart : null,
      });
    }
    const a = await rig.audit();
    progress(`agent-disk-full: ${a.sent} sent, ${a.stored} stored, ${a.lost} lost (counted by the agents: ${expectedDrops}, reported to the hub: ${droppedReportedToHub}), recovery ${recoverySeconds} s`);
    return {
      fault: `agent queue dir on a ${opt.fsKiB} KiB tmpfs filled up while the hub was down; ${opt.afterFull} events per agent after it filled`,
      ...auditOutcome(a),
      recoverySeconds,
      agents: results,
      droppedReportedToHub,
      outOfOrder: a.outOfOrder,
      alertsDoubled: a.alertsDoubled,
      notes: results
        .map((r) => `${r.deviceId} (memory bound ${r.memoryBound}): ${r.lost} lost, ${r.droppedCounted} counted as dropped`)
        .concat([`${droppedReportedToHub} drops reported to the hub (khoa_agent_events_dropped_total)`, 'one KHOA_ERR_STORAGE error log per agent per outage'])
        .join('; '),
    };
  } finally {
    await rig.close();
    unmount();
  }
}

export const agentDiskFull: FaultScenario = {
  id: 'agent-disk-full',
  title: 'Agent disk full (queue directory out of space) while the hub is unreachable',
  async run(opts) {
    if (canMountTmpfs()) return runAgentDiskFull({}, opts?.progress);
    // A soak run elsewhere (no root, or a container without mount) still prints its table.
    return { fault: 'agent queue dir filled up (needs a tmpfs mount)', sent: 0, stored: 0, lost: 0, doubled: 0, alertsExpected: 0, alertsRaised: 0, recoverySeconds: null, notes: 'not run: this machine does not allow mounting a tmpfs' };
  },
};
