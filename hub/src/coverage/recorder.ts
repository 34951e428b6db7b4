import type { CoverageDb } from '../storage/coverage-tables.ts';
import type { Logger } from '../log.ts';
import { computeCoverage } from './coverage.ts';
import { saveSnapshot } from './snapshots.ts';
import { writeClosedReports } from './scheduled-reports.ts';
import type { CoverageSettings } from './targets.ts';

/**
 * Takes the daily coverage snapshot: once at start, then every `everyMs` (an hour by default;
 * each run replaces the day's rows, so the last run of a day is the day's figure); then writes
 * the reports of periods that have just closed.
 * start() sets the timer, stop() clears it (Z2M extension lifecycle).
 */
export class CoverageRecorder {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  constructor(
    private readonly db: CoverageDb,
    private readonly settings: CoverageSettings,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly everyMs = 3600_000,
    /** Where the reports of closed periods are written; none when undefined. */
    private readonly reportDir?: string,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.runOnce(), this.everyMs);
    this.#timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One snapshot now; overlapping runs are skipped. */
  runOnce(): Promise<void> {
    this.#running ??= (async () => {
      const t0 = performance.now();
      try {
        const n = await saveSnapshot(this.db, await computeCoverage(this.db, this.settings, this.now()));
        this.log.info({ areas: n, ms: Math.round(performance.now() - t0) }, 'coverage snapshot saved');
        if (this.reportDir) {
          const written = await writeClosedReports(this.db, this.settings, this.reportDir, this.now(), this.log);
          if (written) this.log.info({ written, dir: this.reportDir }, 'reports of closed periods written');
        }
      } catch (err) {
        this.log.error({ err }, 'coverage snapshot failed');
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }
}
