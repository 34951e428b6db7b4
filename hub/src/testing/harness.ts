import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startHub, type Hub, type HubOptions } from '../hub.ts';
import { validateSettings } from '../settings/load.ts';
import { createLogger } from '../log.ts';
import { addArea } from '../storage/areas.ts';
import { addHousehold } from '../storage/households.ts';
import { addDevice } from '../storage/devices.ts';
import { newDevicePassword } from '@khoa/firmware-config';
import { hashDevicePassword } from '../broker/credentials.ts';
import { dbTargets, type TestDbTarget } from './databases.ts';
export { freePort } from './ports.ts';

/**
 * A real hub for tests: its own broker on an ephemeral port, HTTP on another, a real database
 * (SQLite file or PostgreSQL schema), quiet logs unless KHOA_TEST_LOG is set.
 */
export interface TestHub {
  hub: Hub;
  url: string;
  http: string;
  /** Creates a household (in a test commune) if needed and a device with real credentials. */
  provision(householdId: string, deviceId: string): Promise<string>;
  connect(deviceId: string, password: string | undefined, extra?: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startTestHub(target: TestDbTarget = dbTargets[0]!, settings: Record<string, unknown> = {}, opts: HubOptions = {}): Promise<TestHub> {
  const env = target.make();
  const s = validateSettings({
    dataDir: env.dataDir,
    logLevel: 'silent',
    // No detector workers unless a test asks for them: most tests are about MQTT and storage.
    pipeline: { workers: 0 },
    ...settings,
    mqtt: { host: '127.0.0.1', port: 0, ...(settings.mqtt as object) },
    http: { host: '127.0.0.1', port: 0 },
    db: env.db,
  });
  const hub = await startHub(s, { logger: createLogger(process.env.KHOA_TEST_LOG ? 'debug' : 'silent'), ...opts });
  const clients: MqttClient[] = [];
  const households = new Set<string>();
  let areaReady = false;
  return {
    hub,
    url: `mqtt://127.0.0.1:${hub.mqttPort}`,
    http: `http://127.0.0.1:${hub.httpPort}`,
    async provision(householdId, deviceId) {
      const db = hub.db.kysely;
      if (!areaReady) {
        await addArea(db, { id: 'test-commune', level: 'commune', name: 'Xã Thử', kind: 'rural' });
        areaReady = true;
      }
      if (!households.has(householdId)) {
        await addHousehold(db, { id: householdId, areaId: 'test-commune', address: `${householdId} address` });
        households.add(householdId);
      }
      const password = newDevicePassword();
      await addDevice(db, { id: deviceId, householdId, credentialHash: await hashDevicePassword(password) });
      return password;
    },
    async connect(deviceId, password, extra = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, {
        clientId: deviceId,
        username: deviceId,
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...extra,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await hub.stop();
      await env.cleanup();
    },
  };
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads one counter or gauge sample, or a histogram's `_sum` or `_count`, from the hub's registry. */
export async function metricValue(hub: Hub, name: string, labels: Record<string, string> = {}): Promise<number> {
  const registry = hub.metrics.registry;
  const direct = registry.getSingleMetric(name);
  const series = direct ? undefined : /_(sum|count)$/.exec(name);
  const m = await (direct ?? (series ? registry.getSingleMetric(name.slice(0, series.index)) : undefined))?.get();
  const sample = m?.values.find((v) => (!series || (v as { metricName?: string }).metricName === name) && Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val));
  return sample?.value ?? 0;
}
