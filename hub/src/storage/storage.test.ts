import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../testing/databases.ts';
import { openDb, type Db } from './open.ts';
import { addArea } from './areas.ts';
import { addHousehold } from './households.ts';
import { addDevice, getCredentials, revokeDevice } from './devices.ts';
import { claimUnhandledEvents, claimUnhandledEventsQuery, insertEvent } from './events.ts';
import { insertAlert, listAlerts } from './alerts.ts';
import { applyLockEvent, listInsecureLocks } from './locks.ts';
import { isKhoaError, type LockEvent } from '@khoa/protocol';
import { groupCommitFor } from './group-commit.ts';
import { createHeartbeatStore } from './heartbeat-store.ts';
import { createLockEventStore } from './lock-event-store.ts';
import { deleteHouseholdData, householdEvents } from './household-data.ts';
import { consoleDb } from './console-tables.ts';

describe.each(dbTargets)('storage on $name', (target) => {
  let db: Db;
  let env: ReturnType<typeof target.make>;
  beforeAll(async () => {
    env = target.make();
    db = await openDb(env.db, env.dataDir);
    await addArea(db.kysely, { id: 'vn-bg', level: 'province', name: 'Bắc Giang' });
    await addArea(db.kysely, { id: 'luc-ngan', parentId: 'vn-bg', level: 'commune', name: 'Lục Ngạn', kind: 'rural' });
    await addHousehold(db.kysely, { id: 'hh-1', areaId: 'luc-ngan', address: 'thôn 1' });
    await addDevice(db.kysely, { id: 'agent-1', householdId: 'hh-1', credentialHash: '$argon2id$fake-for-storage-test' });
  });
  afterAll(async () => {
    await db?.close();
    await env?.cleanup();
  });

  it('runs migrations idempotently on reopen', async () => {
    const again = await openDb(env.db, env.dataDir);
    expect(await again.ping()).toBe(true);
    await again.close();
  });

  it('refuses a household in an unknown area and a duplicate device', async () => {
    await expect(addHousehold(db.kysely, { id: 'hh-x', areaId: 'nowhere', address: '?' })).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_AREA_UNKNOWN'));
    await expect(addDevice(db.kysely, { id: 'agent-1', householdId: 'hh-1', credentialHash: 'x' })).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_DEVICE_EXISTS'));
  });

  it('stores an event once per (device, seq) and reads times back as numbers', async () => {
    const ref = { deviceId: 'agent-1', householdId: 'hh-1', lockId: 'front' };
    const ts = 1_790_000_000_123;
    const first = await insertEvent(db.kysely, ref, { seq: 7, ts, type: 'forced' }, ts + 5);
    const replay = await insertEvent(db.kysely, ref, { seq: 7, ts, type: 'forced' }, ts + 9);
    expect(first).toBeTypeOf('number');
    expect(replay).toBeNull();
    const rows = await db.kysely.selectFrom('events').selectAll().where('device_id', '=', 'agent-1').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.device_ts).toBe(ts);
    expect(rows[0]?.received_at).toBe(ts + 5);
  });

  it('keeps one open alert per kind, device and subject', async () => {
    const draft = { kind: 'low_battery' as const, severity: 'low' as const, householdId: 'hh-1', deviceId: 'agent-1', subject: 'front', createdAt: 1, deadlineAt: 2 };
    const a = await insertAlert(db.kysely, draft);
    const b = await insertAlert(db.kysely, draft);
    const other = await insertAlert(db.kysely, { ...draft, subject: 'back' });
    expect(a?.id).toBeTypeOf('number');
    expect(b).toBeNull();
    expect(other).not.toBeNull();
    await db.kysely.updateTable('alerts').set({ status: 'resolved' }).where('id', '=', a!.id).execute();
    expect(await insertAlert(db.kysely, draft)).not.toBeNull();
    expect((await listAlerts(db.kysely, { kind: 'low_battery' })).length).toBe(3);
    const history = await db.kysely.selectFrom('alert_history').selectAll().execute();
    expect(history.length).toBe(3);
  });

  it('tracks lock state and lists insecure locks with household night hours', async () => {
    const ref = { deviceId: 'agent-1', householdId: 'hh-1', lockId: 'back-door' };
    await applyLockEvent(db.kysely, ref, { type: 'unlocked' }, 1000);
    let insecure = await listInsecureLocks(db.kysely);
    expect(insecure.find((l) => l.lock_id === 'back-door')).toMatchObject({ lock_state: 'unlocked', lock_state_at: 1000, night_start: '22:00' });
    await applyLockEvent(db.kysely, ref, { type: 'locked' }, 2000);
    insecure = await listInsecureLocks(db.kysely);
    expect(insecure.find((l) => l.lock_id === 'back-door')).toBeUndefined();
  });

  it('writes a lock event and its state change at once, keeping earlier state it does not change', async () => {
    const store = createLockEventStore(db);
    const write = store.write.bind(store);
    const ref = { deviceId: 'agent-1', householdId: 'hh-1', lockId: 'gate' };
    const lock = () => db.kysely.selectFrom('locks').selectAll().where('device_id', '=', ref.deviceId).where('lock_id', '=', ref.lockId).executeTakeFirst();
    const a = await write(ref, { seq: 100, ts: 5000, type: 'unlocked' }, 5001, 5000);
    expect(a).toEqual({ eventId: expect.any(Number) });
    expect(await lock()).toMatchObject({ lock_state: 'unlocked', lock_state_at: 5000, door_state: null });
    await write(ref, { seq: 101, ts: 6000, type: 'battery', battery: 42 }, 6001, 6000);
    expect(await lock()).toMatchObject({ lock_state: 'unlocked', lock_state_at: 5000, battery: 42, updated_at: 6000 });
    await write(ref, { seq: 102, ts: 7000, type: 'door_open' }, 7001, 7000);
    expect(await lock()).toMatchObject({ lock_state: 'unlocked', door_state: 'open', door_state_at: 7000, battery: 42 });
    expect(await write(ref, { seq: 101, ts: 6000, type: 'battery', battery: 42 }, 9000, 9000)).toEqual({ eventId: null });
    const rows = await db.kysely.selectFrom('events').select('seq').where('lock_id', '=', 'gate').orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual([100, 101, 102]);
  });

  it('stores concurrent lock events of many devices each once, fails only the bad one, and marks rules done', async () => {
    const sizes: number[] = [];
    const store = createLockEventStore(db, groupCommitFor(db, (n) => sizes.push(n)));
    const ref = (lockId: string) => ({ deviceId: 'agent-1', householdId: 'hh-1', lockId });
    const writes = Array.from({ length: 40 }, (_, i) => store.write(ref(`door-${i % 4}`), { seq: 1000 + i, ts: 100 + i, type: i % 2 ? 'locked' : 'unlocked' }, 200 + i, 100 + i));
    // An unknown device breaks the events table's foreign key: only its own write may fail.
    const bad = store.write({ deviceId: 'no-such-device', householdId: 'hh-1', lockId: 'x' }, { seq: 1, ts: 1, type: 'locked' }, 1, 1);
    const replay = store.write(ref('door-0'), { seq: 1000, ts: 100, type: 'unlocked' }, 300, 300);
    await expect(bad).rejects.toThrow(/FOREIGN KEY|foreign key/);
    const results = await Promise.all(writes);
    expect(await replay).toEqual({ eventId: null });
    const ids = results.map((r) => r.eventId);
    expect(new Set(ids).size).toBe(40);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    // The last write of each lock decides its state: i = 36..39 are unlocked, locked, unlocked, locked.
    const locks = await db.kysely.selectFrom('locks').select(['lock_id', 'lock_state']).where('lock_id', 'like', 'door-%').orderBy('lock_id').execute();
    expect(locks.map((l) => l.lock_state)).toEqual(['unlocked', 'locked', 'unlocked', 'locked']);
    await Promise.all(ids.map((id) => store.markRulesDone(id!, 999)));
    const undone = await db.kysely.selectFrom('events').select('id').where('seq', '>=', 1000).where('rules_done_at', 'is', null).execute();
    expect(undone).toEqual([]);
    // SQLite batches what arrives in one turn; PostgreSQL writes one by one through kysely.
    if (db.native) expect(Math.max(...sizes)).toBeGreaterThan(1);
  });

  it('leaves each field of a lock as the last event of a batch that set it', async () => {
    const store = createLockEventStore(db);
    const ref = { deviceId: 'agent-1', householdId: 'hh-1', lockId: 'merge' };
    const events: LockEvent[] = [
      { seq: 70_001, ts: 1, type: 'door_open' },
      { seq: 70_002, ts: 2, type: 'battery', battery: 30 },
      { seq: 70_003, ts: 3, type: 'locked' },
      { seq: 70_004, ts: 4, type: 'door_closed' },
    ];
    // SQLite: one turn, so one transaction, and the lock's row is written once after all four.
    // PostgreSQL writes on a pool in any order, so there they go one by one.
    if (db.native) await Promise.all(events.map((ev) => store.write(ref, ev, 10 + ev.ts, 10 + ev.ts)));
    else for (const ev of events) await store.write(ref, ev, 10 + ev.ts, 10 + ev.ts);
    const lock = await db.kysely.selectFrom('locks').selectAll().where('lock_id', '=', 'merge').executeTakeFirstOrThrow();
    expect(lock).toMatchObject({ lock_state: 'locked', lock_state_at: 13, door_state: 'closed', door_state_at: 14, battery: 30, updated_at: 14 });
    // A later turn with only a battery reading keeps the states it does not name.
    await store.write(ref, { seq: 70_005, ts: 5, type: 'battery', battery: 29 }, 15, 15);
    expect(await db.kysely.selectFrom('locks').selectAll().where('lock_id', '=', 'merge').executeTakeFirstOrThrow()).toMatchObject({ lock_state: 'locked', door_state: 'closed', door_state_at: 14, battery: 29, updated_at: 15 });
  });

  it('keeps a device\'s writes in order: once one fails in a batch, its later ones fail too, other devices\' land', async () => {
    const group = groupCommitFor(db);
    if (!group) return; // PostgreSQL has no group commit
    const landed: string[] = [];
    const first = group.run(() => {
      throw new Error('disk says no');
    }, 'dev-a');
    const later = group.run(() => landed.push('a2'), 'dev-a');
    const other = group.run(() => landed.push('b1'), 'dev-b');
    const unkeyed = group.run(() => landed.push('c1'));
    await expect(first).rejects.toThrow('disk says no');
    await expect(later).rejects.toThrow('disk says no');
    await expect(other).resolves.toBeGreaterThan(0);
    await expect(unkeyed).resolves.toBeGreaterThan(0);
    // b1 and c1 ran twice (in the failed batch, then alone); a2 never ran.
    expect(landed.filter((x) => x === 'a2')).toEqual([]);
    expect(landed.slice(-2)).toEqual(['b1', 'c1']);
  });

  it('runs a full batch in the turn that filled it, but never inside an open transaction', async () => {
    const sizes: number[] = [];
    const group = groupCommitFor(db, (n) => sizes.push(n), 3);
    if (!group) return; // PostgreSQL has no group commit
    const full = [1, 2, 3].map((i) => group.run(() => i));
    // Ran and committed before the caller's turn ends: nothing to wait for but the promises.
    expect(sizes).toEqual([3]);
    const next = group.run(() => 4);
    expect(sizes).toEqual([3]);
    expect(await Promise.all([...full, next])).toEqual([1, 2, 3, 4]);
    expect(sizes).toEqual([3, 1]);
    sizes.length = 0;
    let held: Array<Promise<number>> = [];
    await db.kysely.transaction().execute(async (tx) => {
      await tx.selectFrom('events').select('id').limit(1).execute();
      held = [5, 6, 7].map((i) => group.run(() => i));
      // A full batch inside kysely's transaction would commit (or roll back) with it.
      expect(sizes).toEqual([]);
    });
    expect(await Promise.all(held)).toEqual([5, 6, 7]);
    expect(sizes).toEqual([3]);
  });

  it('sweeps unfinished events through the partial index, not a scan of every event', async () => {
    const store = createLockEventStore(db);
    const ref = { deviceId: 'agent-1', householdId: 'hh-1', lockId: 'sweep' };
    const written = await Promise.all(Array.from({ length: 300 }, (_, i) => store.write(ref, { seq: 50_000 + i, ts: 10, type: 'locked' }, 10, 10)));
    // All but one finished their rules; the one left is what a hub that died would leave.
    await Promise.all(written.slice(1).map((w) => store.markRulesDone(w.eventId!, 11)));
    const claimed = await claimUnhandledEvents(db.kysely, 1_000, 2_000);
    expect(claimed.map((r) => Number(r.id))).toContain(written[0]!.eventId);
    expect(claimed.every((r) => Number(r.rules_done_at) === -2_000)).toBe(true);
    if (!db.native) return; // PostgreSQL plans by statistics; the index exists there too (migration 0005).
    const q = claimUnhandledEventsQuery(db.kysely, 1_000, 3_000).compile();
    const plan = db.native.prepare(`explain query plan ${q.sql}`).all(...(q.parameters as unknown[])) as Array<{ detail: string }>;
    const scans = plan.map((p) => p.detail).filter((d) => /^SCAN events\b/.test(d));
    expect(scans.length).toBeGreaterThan(0);
    for (const d of scans) expect(d).toContain('USING INDEX events_rules_pending');
  });

  it('reads and erases a household\'s events through its devices, without a household index', async () => {
    await addHousehold(db.kysely, { id: 'hh-two', areaId: 'luc-ngan', address: 'thôn 2' });
    for (const id of ['two-a', 'two-b']) await addDevice(db.kysely, { id, householdId: 'hh-two', credentialHash: '$argon2id$fake-for-storage-test' });
    const at = (deviceId: string, householdId: string, seq: number) => insertEvent(db.kysely, { deviceId, householdId, lockId: 'door' }, { seq, ts: seq, type: 'locked' }, seq);
    const ids: number[] = [];
    for (let i = 1; i <= 4; i++) ids.push((await at('two-a', 'hh-two', 80_000 + i))!, (await at('two-b', 'hh-two', 80_000 + i))!);
    await at('agent-1', 'hh-1', 80_999);
    const latest = await householdEvents(consoleDb(db.kysely), 'hh-two', 3);
    expect(latest.map((r) => Number(r.id))).toEqual(ids.slice(-3).reverse());
    expect(new Set(latest.map((r) => r.device_id))).toEqual(new Set(['two-a', 'two-b']));
    if (db.native) {
      const { sql: text, parameters } = db.kysely.deleteFrom('events').where('device_id', 'in', db.kysely.selectFrom('devices').select('id').where('household_id', '=', 'hh-two')).where('household_id', '=', 'hh-two').compile();
      const plan = (db.native.prepare(`explain query plan ${text}`).all(...(parameters as unknown[])) as Array<{ detail: string }>).map((p) => p.detail);
      expect(plan.some((d) => /SEARCH events USING INDEX/.test(d))).toBe(true);
      expect(plan.some((d) => /^SCAN events/.test(d))).toBe(false);
    }
    expect(await deleteHouseholdData(consoleDb(db.kysely), 'hh-two', env.dataDir)).toEqual({ events: 8, snapshots: 0 });
    expect(await householdEvents(consoleDb(db.kysely), 'hh-two', 10)).toEqual([]);
    // Another household's events stay.
    expect(await householdEvents(consoleDb(db.kysely), 'hh-1', 1)).toHaveLength(1);
  });

  it('writes heartbeats: last seen, and the armed state only when given', async () => {
    const hb = createHeartbeatStore(db);
    const state = async () => ({
      seen: Number((await db.kysely.selectFrom('devices').select('last_seen_at').where('id', '=', 'agent-1').executeTakeFirstOrThrow()).last_seen_at),
      armed: Number((await db.kysely.selectFrom('households').select('armed').where('id', '=', 'hh-1').executeTakeFirstOrThrow()).armed),
    });
    await hb.seen('agent-1', 'hh-1', 123_000, true);
    expect(await state()).toEqual({ seen: 123_000, armed: 1 });
    await Promise.all([hb.seen('agent-1', 'hh-1', 124_000), hb.seen('agent-1', 'hh-1', 125_000)]);
    // A late heartbeat (delivered after a newer one) does not move last-seen back.
    await hb.seen('agent-1', 'hh-1', 124_500);
    expect(await state()).toEqual({ seen: 125_000, armed: 1 });
    await hb.seen('agent-1', 'hh-1', 126_000, false);
    expect(await state()).toEqual({ seen: 126_000, armed: 0 });
  });

  it('revokes a device', async () => {
    expect(await revokeDevice(db.kysely, 'agent-1')).toBe(true);
    expect((await getCredentials(db.kysely, 'agent-1'))?.revoked).toBe(1);
    expect(await revokeDevice(db.kysely, 'nope')).toBe(false);
  });
});
