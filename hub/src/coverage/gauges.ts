import { Gauge, type Registry } from 'prom-client';
import type { AreaFigures } from './figures.ts';

/** Levels exported as gauges; villages would make one series per village of a province. */
const LEVELS = new Set(['province', 'district', 'commune']);

/**
 * Camera coverage per commune, district and province for Prometheus, from the same cached
 * computation the district page uses (so a scrape never starts a province-wide scan of its own
 * while a fresh result exists).
 */
export function registerCoverageGauges(registry: Registry, load: () => Promise<Iterable<AreaFigures>>): void {
  let last: Promise<AreaFigures[]> | undefined;
  const areas = () => (last ??= load().then((it) => [...it].filter((a) => LEVELS.has(a.level))).finally(() => setTimeout(() => (last = undefined), 0)));
  new Gauge({
    name: 'khoa_coverage_percent',
    help: 'households with a camera seen in the coverage window, percent of all households, by area',
    labelNames: ['area', 'level'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const a of await areas()) if (a.households.percent !== null) this.set({ area: a.areaId, level: a.level }, a.households.percent);
    },
  });
  new Gauge({
    name: 'khoa_coverage_households_needed',
    help: 'households still to cover to reach this year\'s target, by area',
    labelNames: ['area', 'level'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const a of await areas()) this.set({ area: a.areaId, level: a.level }, a.households.needed);
    },
  });
}
