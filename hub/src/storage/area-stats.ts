import { sql } from 'kysely';
import type { ConsoleDb } from './console-tables.ts';

/**
 * Aggregates of an area subtree for officials: counts and times only, never a household,
 * an address or an image. `areaIds` null means the whole installation (a ROOT admin).
 */
export async function areaStats(db: ConsoleDb, areaIds: string[] | null, now: number, sinceMs: number) {
  const hh = db.selectFrom('households').select('id');
  const households = areaIds ? hh.where('area_id', 'in', areaIds.length ? areaIds : ['']) : hh;
  const [h, d, open, overdue, tips, ack] = await Promise.all([
    db.selectFrom('households').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', households).executeTakeFirstOrThrow(),
    db.selectFrom('devices').select((eb) => eb.fn.count<number>('household_id').distinct().as('n')).where('household_id', 'in', households).where('revoked', '=', 0).executeTakeFirstOrThrow(),
    db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('household_id', 'in', households).where('status', 'in', ['new', 'acknowledged', 'assigned']).executeTakeFirstOrThrow(),
    db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('household_id', 'in', households).where('status', 'in', ['new', 'acknowledged', 'assigned']).where('deadline_at', '<', now).executeTakeFirstOrThrow(),
    db
      .selectFrom('alerts')
      .select([
        (eb) => eb.fn.countAll<number>().as('total'),
        sql<number>`sum(case when status <> 'new' then 1 else 0 end)`.as('taken'),
        sql<number>`sum(case when status = 'resolved' or status = 'false_alarm' then 1 else 0 end)`.as('resolved'),
      ])
      .where('household_id', 'in', households)
      .where('kind', '=', 'tip')
      .where('created_at', '>=', sinceMs)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('alerts')
      .select(sql<number>`acknowledged_at - created_at`.as('ms'))
      .where('household_id', 'in', households)
      .where('acknowledged_at', 'is not', null)
      .where('created_at', '>=', sinceMs)
      .orderBy('ms')
      .execute(),
  ]);
  const mid = ack.length ? Number(ack[Math.floor(ack.length / 2)]!.ms) : null;
  return {
    households: Number(h.n),
    householdsWithDevices: Number(d.n),
    openAlerts: Number(open.n),
    overdueAlerts: Number(overdue.n),
    tips: Number(tips.total),
    tipsTakenUp: Number(tips.taken ?? 0),
    tipsResolved: Number(tips.resolved ?? 0),
    medianAckMs: mid,
  };
}
