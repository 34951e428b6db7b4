import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHub, validateSettings, createLogger, hashDevicePassword, storage, type Hub } from '@khoa/hub';
import { freePort, startTestHub, waitFor, type TestHub } from '@khoa/hub/testing';
import { startAgent, type Agent } from '@khoa/edge-agent';
import { createAgentConfig, newDevicePassword } from '@khoa/firmware-config';

// Issue 3 end to end: the real edge agent (edge-agent/) and the real hub (hub/) over real MQTT
// on loopback, with a real SQLite file. Timers are shortened, nothing else is replaced.

const quiet = createLogger('silent');
const fastTuning = { reconnectMinMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 60_000, queueFsync: 'never' as const, connectTimeoutMs: 2000 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}


async function agentFor(t: { provision(h: string, d: string): Promise<string> }, port: number, householdId: string, deviceId: string): Promise<Agent> {
  const password = await t.provision(householdId, deviceId);
  const config = createAgentConfig({
    householdId,
    deviceId,
    password,
    hubUrl: `mqtt://127.0.0.1:${port}`,
    dataDir: tmp('khoa-agent-'),
    locks: [{ id: 'front', kind: 'lock_with_door', driver: 'simulator' }],
  });
  const agent = await startAgent(config, { log: quiet, tuning: fastTuning });
  cleanups.push(() => agent.stop());
  await agent.whenConnected();
  return agent;
}

describe('a household lock reaching the hub', () => {
  let t: TestHub;

  it('a forced door on the agent becomes a stored door_forced alert', async () => {
    t = await startTestHub();
    cleanups.push(() => t.close());
    const agent = await agentFor(t, t.hub.mqttPort, 'hh-e2e', 'agent-e2e');
    const db = t.hub.db.kysely;

    // Registration reached the registry: the lock exists before any event.
    await waitFor(() => db.selectFrom('locks').selectAll().where('device_id', '=', 'agent-e2e').executeTakeFirst(), 5000, 'lock registered');

    agent.simulator('front').emit('forced');
    const alert = await waitFor(
      () => db.selectFrom('alerts').selectAll().where('household_id', '=', 'hh-e2e').where('kind', '=', 'door_forced').executeTakeFirst(),
      5000,
      'door_forced alert',
    );
    expect(alert.status).toBe('new');
    expect(alert.device_id).toBe('agent-e2e');
    const event = await db.selectFrom('events').selectAll().where('id', '=', alert.source_event_id!).executeTakeFirstOrThrow();
    expect(event.type).toBe('forced');
    expect(event.lock_id).toBe('front');

    // An ordinary lock/unlock raises nothing more.
    agent.simulator('front').emit('locked');
    agent.simulator('front').emit('unlocked');
    await waitFor(async () => (await db.selectFrom('events').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n >= 3, 5000, 'three events');
    const alerts = await db.selectFrom('alerts').select(['kind']).where('household_id', '=', 'hh-e2e').execute();
    expect(alerts.map((a) => a.kind)).toEqual(['door_forced']);
  });

  it('hub restarted while the agent keeps producing: every event stored exactly once, in order', async () => {
    const port = await freePort();
    const dataDir = tmp('khoa-hub-');
    const settings = validateSettings({ dataDir, logLevel: 'silent', pipeline: { workers: 0 }, mqtt: { host: '127.0.0.1', port }, http: { host: '127.0.0.1', port: 0 } });
    let hub: Hub | undefined = await startHub(settings, { logger: quiet });
    cleanups.push(async () => {
      await hub?.stop();
    });
    // Provision through the first hub's database; the second hub opens the same SQLite file.
    const provisionOn = (h: Hub) => ({
      async provision(householdId: string, deviceId: string) {
        const { addArea, addHousehold, addDevice } = storage;
        await addArea(h.db.kysely, { id: 'c1', level: 'commune', name: 'Xã Một', kind: 'rural' });
        await addHousehold(h.db.kysely, { id: householdId, areaId: 'c1', address: 'Thôn 1' });
        const password = newDevicePassword();
        await addDevice(h.db.kysely, { id: deviceId, householdId, credentialHash: await hashDevicePassword(password) });
        return password;
      },
    });
    const agent = await agentFor(provisionOn(hub), port, 'hh-restart', 'agent-restart');

    // The door sensor reports every 15 ms throughout: before, during and after the outage.
    const sim = agent.simulator('front');
    let made = 0;
    const producer = setInterval(() => {
      sim.emit(made % 2 === 0 ? 'door_open' : 'door_closed');
      made++;
    }, 15);
    cleanups.push(() => clearInterval(producer));

    await waitFor(() => made >= 40, 5000, 'events before the outage');
    await hub.stop();
    hub = undefined;
    await waitFor(() => !agent.connected(), 5000, 'agent notices the outage');
    const madeBeforeRestart = made;
    await new Promise((r) => setTimeout(r, 400));
    expect(agent.queueDepth()).toBeGreaterThan(0); // the outage really held events back

    hub = await startHub(settings, { logger: quiet });
    await waitFor(() => made >= madeBeforeRestart + 60, 10_000, 'events after the restart');
    clearInterval(producer);
    const total = made;

    const db = hub.db.kysely;
    await waitFor(async () => (await db.selectFrom('events').select(db.fn.countAll<number>().as('n')).where('device_id', '=', 'agent-restart').executeTakeFirstOrThrow()).n >= total, 15_000, `all ${total} events stored`);
    await waitFor(() => agent.queueDepth() === 0, 5000, 'queue drained');

    const rows = await db.selectFrom('events').select(['seq']).where('device_id', '=', 'agent-restart').orderBy('id').execute();
    const seqs = rows.map((r) => Number(r.seq));
    expect(seqs.length).toBe(total); // nothing lost, nothing doubled
    expect(new Set(seqs).size).toBe(total);
    // Stored in the order they happened: insertion order equals sequence order.
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[seqs.length - 1]! - seqs[0]!).toBe(total - 1);
  }, 60_000);
});
