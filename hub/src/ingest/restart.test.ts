import { afterAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { topics } from '@khoa/protocol';
import { newDevicePassword } from '@khoa/firmware-config';
import { startHub, type Hub } from '../hub.ts';
import { validateSettings } from '../settings/load.ts';
import { createLogger } from '../log.ts';
import { addArea } from '../storage/areas.ts';
import { addHousehold } from '../storage/households.ts';
import { addDevice } from '../storage/devices.ts';
import { hashDevicePassword } from '../broker/credentials.ts';
import { dbTargets } from '../testing/databases.ts';
import { waitFor } from '../testing/harness.ts';
import { freePort } from '../testing/ports.ts';

/**
 * The hub acknowledges a QoS 1 event only once it is stored, so an agent that keeps
 * publishing while the hub restarts loses nothing: unacknowledged events are resent after
 * reconnect, and the (device, seq) key drops the ones stored just before the stop.
 */
describe('hub restart while a device keeps publishing', () => {
  const env = dbTargets[0]!.make();
  afterAll(() => env.cleanup());

  it('stores every event exactly once, in order', async () => {
    const port = await freePort();
    const settings = validateSettings({ dataDir: env.dataDir, logLevel: 'silent', mqtt: { host: '127.0.0.1', port }, http: { host: '127.0.0.1', port: 0 }, db: env.db, pipeline: { workers: 0 } });
    const logger = createLogger('silent');
    let hub: Hub = await startHub(settings, { logger });
    const dev = { householdId: 'hh-x', deviceId: 'agent-x' };
    const password = newDevicePassword();
    await addArea(hub.db.kysely, { id: 'xa', level: 'commune', name: 'Xã' });
    await addHousehold(hub.db.kysely, { id: dev.householdId, areaId: 'xa', address: '?' });
    await addDevice(hub.db.kysely, { id: dev.deviceId, householdId: dev.householdId, credentialHash: await hashDevicePassword(password) });

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: dev.deviceId, username: dev.deviceId, password, clean: false, reconnectPeriod: 100 });
    let reconnects = 0;
    client.on('reconnect', () => reconnects++);
    const total = 120;
    const acked: Array<Promise<unknown>> = [];
    for (let seq = 1; seq <= total; seq++) {
      acked.push(client.publishAsync(topics.lockEvent(dev, 'front'), JSON.stringify({ seq, ts: Date.now(), type: seq % 2 ? 'unlocked' : 'locked' }), { qos: 1 }));
      if (seq === 40) {
        await hub.stop(); // mid-stream: some events stored, some in flight, some not yet sent
      }
      if (seq === 80) hub = await startHub(settings, { logger });
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(acked);
    const rows = await waitFor(async () => {
      const r = await hub.db.kysely.selectFrom('events').select(['seq']).where('device_id', '=', dev.deviceId).orderBy('id').execute();
      return r.length >= total ? r : null;
    }, 30_000, 'all events stored');
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(reconnects).toBeGreaterThan(0);
    await client.endAsync();
    await hub.stop();
  }, 90_000);
});

describe('hub start with devices recorded online', () => {
  const env = dbTargets[0]!.make();
  afterAll(() => env.cleanup());

  it('marks them offline, so one that never reconnects reaches the agent-offline rule', async () => {
    let now = 1_800_000_000_000;
    const settings = validateSettings({ dataDir: env.dataDir, logLevel: 'silent', mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, db: env.db, rules: { agentOfflineGraceMs: 60_000 }, pipeline: { workers: 0 } });
    const logger = createLogger('silent');
    let hub = await startHub(settings, { logger, now: () => now, ruleTimer: false });
    await addArea(hub.db.kysely, { id: 'xa', level: 'commune', name: 'Xã' });
    await addHousehold(hub.db.kysely, { id: 'hh-gone', areaId: 'xa', address: '?' });
    await addDevice(hub.db.kysely, { id: 'agent-gone', householdId: 'hh-gone', credentialHash: 'unused' });
    await hub.db.kysely.updateTable('devices').set({ status: 'online', status_at: now }).execute();
    await hub.stop();

    now += 10 * 60_000;
    hub = await startHub(settings, { logger, now: () => now, ruleTimer: false });
    expect(await hub.db.kysely.selectFrom('devices').select(['status', 'status_at']).executeTakeFirst()).toEqual({ status: 'offline', status_at: now });
    now += 61_000;
    await hub.rules.tick();
    expect(await hub.db.kysely.selectFrom('alerts').select(['kind', 'device_id']).execute()).toEqual([{ kind: 'agent_offline', device_id: 'agent-gone' }]);
    await hub.stop();
  }, 60_000);
});
