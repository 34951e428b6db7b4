import type { ConsoleDb } from './console-tables.ts';

export async function insertTip(db: ConsoleDb, t: { alertId: number; householdId: string; username: string; text: string; photo: Buffer | null; photoType: string | null }, now: number): Promise<number> {
  const r = await db
    .insertInto('tips')
    .values({ alert_id: t.alertId, household_id: t.householdId, username: t.username, text: t.text, photo: t.photo, photo_type: t.photoType, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

/** Tips a household sent since `since`: the rate limit counts in the database so it holds across hub processes. */
export async function countTipsSince(db: ConsoleDb, householdId: string, since: number): Promise<number> {
  const r = await db.selectFrom('tips').select((eb) => eb.fn.countAll<number>().as('n')).where('household_id', '=', householdId).where('created_at', '>=', since).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The tip behind an alert, without its photo bytes. */
export async function tipOfAlert(db: ConsoleDb, alertId: number) {
  return db
    .selectFrom('tips')
    .select(['id', 'household_id', 'username', 'text', 'photo_type', 'created_at'])
    .where('alert_id', '=', alertId)
    .executeTakeFirst();
}

export async function tipPhoto(db: ConsoleDb, alertId: number) {
  return db.selectFrom('tips').select(['photo', 'photo_type', 'household_id']).where('alert_id', '=', alertId).executeTakeFirst();
}
