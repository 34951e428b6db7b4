import type { Kysely } from 'kysely';
import { KhoaError } from '@khoa/protocol';
import type { Area, Database } from './tables.ts';

export interface NewArea {
  id: string;
  parentId?: string | null | undefined;
  level: string;
  name: string;
  kind?: 'urban' | 'rural' | null | undefined;
}

/** Adds a node of the area tree; its parent must exist. */
export async function addArea(db: Kysely<Database>, a: NewArea, now = Date.now()): Promise<Area> {
  if (a.parentId && !(await getArea(db, a.parentId))) {
    throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', `parent area ${a.parentId}`, { areaId: a.parentId });
  }
  const row: Area = { id: a.id, parent_id: a.parentId ?? null, level: a.level, name: a.name, kind: a.kind ?? null, created_at: now };
  await db.insertInto('areas').values(row).execute();
  return row;
}

export async function getArea(db: Kysely<Database>, id: string): Promise<Area | undefined> {
  return db.selectFrom('areas').selectAll().where('id', '=', id).executeTakeFirst();
}
