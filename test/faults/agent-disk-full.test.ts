import { describe, expect, it } from 'vitest';
import { canMountTmpfs, runAgentDiskFull } from './agent-disk-full.ts';

const mountable = canMountTmpfs();
if (!mountable) process.stderr.write('agent-disk-full: skipped, this machine does not allow mounting a tmpfs (needs root and a container that permits mount)\n');

describe('agent-disk-full', () => {
  it.skipIf(!mountable)('queue dir full while the hub is away: no crash, one coded error, newest kept in memory and written back, all kept delivered in order, drops counted and reported', async () => {
    const out = await runAgentDiskFull({ before: 10, onDisk: 60, afterFull: 300, memoryBoundKept: 400, memoryBoundSmall: 100, fsKiB: 256 });
    const [kept, small] = out.agents;
    if (!kept || !small) throw new Error('two agents expected');
    for (const a of out.agents) {
      // The disk really was full, and said so once, coded, not once per event.
      expect(a.storageOkWhileFull).toBe(false);
      expect(a.writeErrors).toBeGreaterThan(100);
      expect(a.storageErrorLogs).toBe(1);
      expect(a.loggedCode).toBe('KHOA_ERR_STORAGE');
      expect(a.loggedErrno).toBe('ENOSPC');
    }
    // Within its memory bound: nothing lost, and after space returned what it held was on disk (it survived a restart).
    expect(kept.memoryOnlyWhileFull).toBeGreaterThan(200);
    expect(kept.lost).toBe(0);
    expect(kept.queuedAfterRestart).toBe(60 + 300);
    // Past its bound: the oldest unsaved ones dropped, exactly as many as counted, and the hub told.
    expect(small.memoryOnlyWhileFull).toBe(100);
    expect(small.lost).toBeGreaterThan(0);
    expect(small.lost).toBe(small.droppedCounted);
    expect(out.droppedReportedToHub).toBe(small.droppedCounted);
    expect(out.lost).toBe(small.lost);
    expect(out.doubled).toBe(0);
    expect(out.outOfOrder).toBe(0);
    // The forced door was the newest event of each agent: both alerted, once.
    expect(out.alertsExpected).toBe(2);
    expect(out.alertsRaised).toBe(2);
    expect(out.alertsDoubled).toBe(0);
  }, 60_000);
});
