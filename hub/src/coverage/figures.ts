import type { AreaCount } from './household-counts.ts';
import { percentOf, stillNeeded, type YearTarget } from './targets.ts';
import type { Tree } from './tree-at.ts';

/** Covered units of one kind against the plan target. */
export interface Share {
  total: number;
  covered: number;
  percent: number | null;
  targetPercent: number | null;
  /** Units still to cover to reach the target (0 when reached or when there is no target). */
  needed: number;
}

/** Coverage of one area (its whole subtree); counts only, never a household. */
export interface AreaFigures {
  areaId: string;
  name: string;
  level: string;
  /** Effective urban/rural class (own or inherited); null above the level where it is set. */
  kind: string | null;
  /** Households using Khoa (registered with the hub). */
  registered: number;
  households: Share;
  urban: Share;
  rural: Share;
  /** Households in areas marked neither urban nor rural: counted, but no plan target applies. */
  unclassed: Share;
  residentialAreas: Share;
  agencies: Share;
}

interface Sums {
  registered: number;
  urban: [number, number];
  rural: [number, number];
  unclassed: [number, number];
  ra: [number, number];
  ag: [number, number];
}

const share = (total: number, covered: number, percent: number | null, strict = false): Share => ({
  total, covered, percent: percentOf(covered, total), targetPercent: percent, needed: percent === null ? 0 : stillNeeded(total, covered, percent, strict),
});

/**
 * Sums each area's own households up the tree. An area's household total is its census count
 * when one was given, else (or when the census is below it, i.e. stale) the households
 * registered there. Census counts belong on the lowest level known; the import refuses a count
 * on both an area and one of its descendants, so nothing is counted twice.
 */
export function aggregate(tree: Tree, counts: Map<string, AreaCount>, target: YearTarget): Map<string, AreaFigures> {
  const sums = new Map<string, Sums>();
  const kinds = new Map<string, string | null>();
  const out = new Map<string, AreaFigures>();

  const visit = (id: string, inherited: string | null, guard: Set<string>): Sums => {
    const n = tree.get(id)!;
    const kind = n.kind ?? inherited;
    kinds.set(id, kind);
    const own = counts.get(id) ?? { registered: 0, covered: 0 };
    const total = Math.max(n.households ?? 0, own.registered);
    const s: Sums = { registered: own.registered, urban: [0, 0], rural: [0, 0], unclassed: [0, 0], ra: [n.residentialAreas, n.residentialAreasCovered], ag: [n.agencies, n.agenciesCovered] };
    const bucket = kind === 'urban' ? s.urban : kind === 'rural' ? s.rural : s.unclassed;
    bucket[0] += total;
    bucket[1] += own.covered;
    guard.add(id);
    for (const c of n.children) {
      if (guard.has(c)) continue; // a cycle in imported data must not hang the hub
      const cs = visit(c, kind, guard);
      s.registered += cs.registered;
      for (const k of ['urban', 'rural', 'unclassed', 'ra', 'ag'] as const) {
        s[k][0] += cs[k][0];
        s[k][1] += cs[k][1];
      }
    }
    sums.set(id, s);
    return s;
  };
  const guard = new Set<string>();
  for (const n of tree.values()) if (!n.parentId || !tree.has(n.parentId)) visit(n.id, null, guard);

  for (const [id, s] of sums) {
    const n = tree.get(id)!;
    const urban = share(s.urban[0], s.urban[1], target.urbanPercent, target.urbanStrict ?? false);
    const rural = share(s.rural[0], s.rural[1], target.ruralPercent);
    const unclassed = share(s.unclassed[0], s.unclassed[1], null);
    const total = urban.total + rural.total + unclassed.total;
    const covered = urban.covered + rural.covered + unclassed.covered;
    out.set(id, {
      areaId: id, name: n.name, level: n.level, kind: kinds.get(id) ?? null, registered: s.registered,
      households: { total, covered, percent: percentOf(covered, total), targetPercent: null, needed: urban.needed + rural.needed },
      urban, rural, unclassed,
      residentialAreas: share(s.ra[0], s.ra[1], target.residentialAreasPercent),
      agencies: share(s.ag[0], s.ag[1], target.agenciesPercent),
    });
  }
  return out;
}
