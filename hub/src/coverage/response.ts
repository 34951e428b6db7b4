import { sql } from 'kysely';
import type { CoverageDb } from '../storage/coverage-tables.ts';
import { nearestRank } from './percentile.ts';
import { percentOf } from './targets.ts';
import type { Tree } from './tree-at.ts';

/** How police answered one group of alerts (tips, or everything else) in a period. */
export interface ResponseFigures {
  total: number;
  /** Acknowledged, assigned or closed by the cut-off. */
  takenUp: number;
  takenUpPercent: number | null;
  /** Resolved or closed as a false alarm by the cut-off. */
  resolved: number;
  resolvedPercent: number | null;
  ackMedianMs: number | null;
  ackP90Ms: number | null;
  resolveMedianMs: number | null;
  resolveP90Ms: number | null;
  /** Deadline passed (by the cut-off) before the alert was resolved. */
  overdue: number;
}

export interface AreaResponse {
  tips: ResponseFigures;
  alerts: ResponseFigures;
}

interface AlertTimes {
  kind: string;
  household_id: string;
  area_id: string;
  created_at: number;
  deadline_at: number;
  acknowledged_at: number | null;
  assigned_at: number | null;
  resolved_at: number | null;
}

class Acc {
  total = 0;
  takenUp = 0;
  resolved = 0;
  overdue = 0;
  ack: number[] = [];
  res: number[] = [];
  add(a: AlertTimes, cutoff: number): void {
    this.total++;
    // Taking up is the first step police took, whichever it was (an alert may go straight to assigned or resolved).
    const steps = [a.acknowledged_at, a.assigned_at, a.resolved_at].filter((x): x is number => x !== null && x <= cutoff);
    if (steps.length) {
      this.takenUp++;
      this.ack.push(Math.min(...steps) - a.created_at);
    }
    const resolvedAt = a.resolved_at !== null && a.resolved_at <= cutoff ? a.resolved_at : null;
    if (resolvedAt !== null) {
      this.resolved++;
      this.res.push(resolvedAt - a.created_at);
    }
    if (a.deadline_at <= cutoff && (resolvedAt === null || resolvedAt > a.deadline_at)) this.overdue++;
  }
  figures(): ResponseFigures {
    const ack = this.ack.sort((x, y) => x - y);
    const res = this.res.sort((x, y) => x - y);
    return {
      total: this.total, takenUp: this.takenUp, takenUpPercent: percentOf(this.takenUp, this.total),
      resolved: this.resolved, resolvedPercent: percentOf(this.resolved, this.total),
      ackMedianMs: nearestRank(ack, 0.5), ackP90Ms: nearestRank(ack, 0.9), resolveMedianMs: nearestRank(res, 0.5), resolveP90Ms: nearestRank(res, 0.9),
      overdue: this.overdue,
    };
  }
}

/**
 * Response figures of the alerts created in [from, to), for each area in `wanted` (its whole
 * subtree in `tree`). Each alert counts where its household lived when the alert was raised,
 * and steps taken after `cutoff` are ignored: a closed period's report reads the same whenever
 * it is run (cutoff = the period's end, or now while it is running).
 */
export async function responseByArea(db: CoverageDb, tree: Tree, wanted: readonly string[], from: number, to: number, cutoff: number): Promise<Map<string, AreaResponse>> {
  const [alerts, moves] = await Promise.all([
    sql<AlertTimes>`
      select a.kind, a.household_id, h.area_id, a.created_at, a.deadline_at, a.acknowledged_at, a.assigned_at, a.resolved_at
      from alerts a join households h on h.id = a.household_id
      where a.created_at >= ${from} and a.created_at < ${to}`.execute(db),
    sql<{ household_id: string; at: number; from_area_id: string }>`
      select household_id, at, from_area_id from household_moves where at > ${from} order by household_id, at`.execute(db),
  ]);
  const movesOf = new Map<string, { at: number; from: string }[]>();
  for (const m of moves.rows) {
    const list = movesOf.get(m.household_id) ?? [];
    list.push({ at: Number(m.at), from: m.from_area_id });
    movesOf.set(m.household_id, list);
  }
  const accs = new Map<string, { tips: Acc; alerts: Acc }>(wanted.map((id) => [id, { tips: new Acc(), alerts: new Acc() }]));
  for (const raw of alerts.rows) {
    const a: AlertTimes = {
      ...raw, created_at: Number(raw.created_at), deadline_at: Number(raw.deadline_at), acknowledged_at: num(raw.acknowledged_at), assigned_at: num(raw.assigned_at), resolved_at: num(raw.resolved_at),
    };
    const area = movesOf.get(a.household_id)?.find((m) => m.at > a.created_at)?.from ?? a.area_id;
    const seen = new Set<string>();
    for (let id: string | null | undefined = area; id && !seen.has(id); id = tree.get(id)?.parentId) {
      seen.add(id);
      const acc = accs.get(id);
      if (acc) (a.kind === 'tip' ? acc.tips : acc.alerts).add(a, cutoff);
    }
  }
  return new Map([...accs].map(([id, acc]) => [id, { tips: acc.tips.figures(), alerts: acc.alerts.figures() }]));
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));
