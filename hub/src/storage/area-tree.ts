import { sql } from 'kysely';
import type { ConsoleDb } from './console-tables.ts';

/**
 * Ids of an area and every area below it. The tree has any depth (levels change with
 * administrative reforms), so a recursive query walks it; both SQLite and PostgreSQL speak
 * `WITH RECURSIVE`.
 */
export async function areaSubtree(db: ConsoleDb, rootId: string): Promise<string[]> {
  const r = await sql<{ id: string }>`
    with recursive sub(id) as (
      select id from areas where id = ${rootId}
      union
      select a.id from areas a join sub on a.parent_id = sub.id
    ) select id from sub`.execute(db);
  return r.rows.map((x) => x.id);
}

/** Ids of an area and its ancestors up to the root (advisories for a household come from any of them). */
export async function areaAncestors(db: ConsoleDb, areaId: string): Promise<string[]> {
  const r = await sql<{ id: string }>`
    with recursive up(id, parent_id) as (
      select id, parent_id from areas where id = ${areaId}
      union
      select a.id, a.parent_id from areas a join up on a.id = up.parent_id
    ) select id from up`.execute(db);
  return r.rows.map((x) => x.id);
}
