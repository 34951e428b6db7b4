import type { Heartbeat } from '@khoa/protocol';

/** Builds heartbeats; keeps the previous CPU sample so each one reports usage since the last. */
export class HeartbeatSource {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private readonly startedAt = process.hrtime.bigint();

  next(fields: { ts: number; queued: number; dropped: number; armed: boolean }): Heartbeat {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = Number(now - this.lastAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const cpuPercent = wallUs > 0 ? Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10 : 0;
    return {
      ts: fields.ts,
      uptimeS: Math.round(Number(now - this.startedAt) / 1e7) / 100,
      queued: fields.queued,
      dropped: fields.dropped,
      armed: fields.armed,
      cpuPercent,
      rssBytes: process.memoryUsage.rss(),
    };
  }
}
