import type { Kysely } from 'kysely';
import { KhoaError } from '@khoa/protocol';
import type { Database, Device } from './tables.ts';
import { getHousehold } from './households.ts';

export interface NewDevice {
  id: string;
  householdId: string;
  /** argon2id hash made by the caller; this module never sees a password. */
  credentialHash: string;
  kind?: string;
}

export async function addDevice(db: Kysely<Database>, d: NewDevice, now = Date.now()): Promise<void> {
  if (!(await getHousehold(db, d.householdId))) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', d.householdId, { householdId: d.householdId });
  if (await getDevice(db, d.id)) throw new KhoaError('KHOA_ERR_DEVICE_EXISTS', d.id, { deviceId: d.id });
  await db
    .insertInto('devices')
    .values({ id: d.id, household_id: d.householdId, kind: d.kind ?? 'agent', credential_hash: d.credentialHash, revoked: 0, status: 'unknown', status_at: null, last_seen_at: null, agent_version: null, platform: null, registered_at: null, created_at: now })
    .execute();
}

export async function getDevice(db: Kysely<Database>, id: string): Promise<Device | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What authentication needs, in one indexed read. */
export async function getCredentials(db: Kysely<Database>, id: string) {
  return db.selectFrom('devices').select(['id', 'household_id', 'credential_hash', 'revoked']).where('id', '=', id).executeTakeFirst();
}

/** Revokes a device: its credentials stop working at the next connect (the broker also drops it). */
export async function revokeDevice(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.updateTable('devices').set({ revoked: 1 }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function setDeviceStatus(db: Kysely<Database>, id: string, status: 'online' | 'offline', at: number): Promise<void> {
  await db.updateTable('devices').set({ status, status_at: at, last_seen_at: at }).where('id', '=', id).execute();
}

/** Never moves last-seen backwards: on PostgreSQL two heartbeats in flight on two pool connections can commit out of order. */
export async function markSeen(db: Kysely<Database>, id: string, at: number): Promise<void> {
  await db
    .updateTable('devices')
    .set({ last_seen_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', at)]))
    .execute();
}

export async function setRegistration(db: Kysely<Database>, id: string, r: { agentVersion: string; platform?: string | undefined }, at: number): Promise<void> {
  await db.updateTable('devices').set({ agent_version: r.agentVersion, platform: r.platform ?? null, registered_at: at, last_seen_at: at }).where('id', '=', id).execute();
}

/** Devices offline since before `before` (candidates for the agent-offline alert). */
export async function listOfflineSince(db: Kysely<Database>, before: number): Promise<Device[]> {
  return db.selectFrom('devices').selectAll().where('status', '=', 'offline').where('status_at', '<=', before).where('revoked', '=', 0).execute();
}

/**
 * Marks every device that was online as offline from `at`. Used when an embedded broker
 * starts: no device can be connected to it yet, and a device that never comes back must still
 * reach the agent-offline rule instead of staying "online" from before the restart.
 */
export async function markAllOffline(db: Kysely<Database>, at: number): Promise<number> {
  const r = await db.updateTable('devices').set({ status: 'offline', status_at: at }).where('status', '=', 'online').executeTakeFirst();
  return Number(r.numUpdatedRows);
}
