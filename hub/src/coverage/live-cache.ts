import type { CoverageDb } from '../storage/coverage-tables.ts';
import { computeCoverage, type CoverageResult } from './coverage.ts';
import type { CoverageSettings } from './targets.ts';

/**
 * Live coverage shared by the officials' requests for `ttlMs`: it is one grouped scan of all
 * households and cameras, and a window of hours does not change in a minute. Concurrent
 * requests wait on the same computation instead of starting their own.
 */
export class LiveCoverageCache {
  #value: { at: number; result: Promise<CoverageResult> } | undefined;
  constructor(
    private readonly db: CoverageDb,
    private readonly settings: CoverageSettings,
    private readonly ttlMs = 60_000,
  ) {}

  get = (now: number): Promise<CoverageResult> => {
    if (!this.#value || now - this.#value.at >= this.ttlMs || now < this.#value.at) {
      const result = computeCoverage(this.db, this.settings, now);
      const entry = { at: now, result };
      this.#value = entry;
      // A failed computation is not kept: the next request tries again.
      result.catch(() => {
        if (this.#value === entry) this.#value = undefined;
      });
    }
    return this.#value.result;
  };

  /** After an import or a snapshot, so the next page shows the new figures. */
  clear(): void {
    this.#value = undefined;
  }
}
