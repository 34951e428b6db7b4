import type { CoverageDb } from '../storage/coverage-tables.ts';
import { computeCoverage, type CoverageResult } from './coverage.ts';
import type { CoverageSettings } from './targets.ts';

/**
 * Live coverage shared by the officials' requests. It is one grouped scan of all households
 * and cameras (about 2 s for a province of 1,000,000 households on SQLite), and a window of
 * hours barely moves in minutes, so: a result younger than `freshMs` is served as is; one
 * younger than `staleMs` is served while a new one is computed in the background; only an
 * older one (or none) makes the request wait. Concurrent callers share one computation.
 * Every result carries the time it was measured, which the page and reports show.
 */
export class LiveCoverageCache {
  #value: { at: number; result: CoverageResult } | undefined;
  #pending: Promise<CoverageResult> | undefined;
  /** Bumped by clear(): a computation started before it must not be stored after it. */
  #generation = 0;
  constructor(
    private readonly db: CoverageDb,
    private readonly settings: CoverageSettings,
    private readonly freshMs = 60_000,
    private readonly staleMs = 15 * 60_000,
  ) {}

  /** `areaIds`: areas the caller needs; a cached result that predates one of them is not used. */
  get = async (now: number, areaIds: readonly string[] = []): Promise<CoverageResult> => {
    const v = areaIds.every((id) => this.#value?.result.figures.has(id)) ? this.#value : undefined;
    const age = v ? now - v.at : Infinity;
    if (v && age >= 0 && age < this.freshMs) return v.result;
    const next = this.#refresh(now);
    if (v && age >= 0 && age < this.staleMs) {
      next.catch(() => {}); // a failed background refresh leaves the older result in place
      return v.result;
    }
    return next;
  };

  /** After an import, so the next page waits for figures that include it. */
  clear(): void {
    this.#value = undefined;
    this.#pending = undefined;
    this.#generation++;
  }

  #refresh(now: number): Promise<CoverageResult> {
    if (this.#pending) return this.#pending;
    const generation = this.#generation;
    const pending = computeCoverage(this.db, this.settings, now)
      .then((result) => {
        if (generation === this.#generation) this.#value = { at: now, result };
        return result;
      })
      .finally(() => {
        if (this.#pending === pending) this.#pending = undefined;
      });
    this.#pending = pending;
    return pending;
  }
}
