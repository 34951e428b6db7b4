import type { Client } from 'aedes';

/** Who an authenticated MQTT connection is. Set by authenticate, read by the ACL and ingest. */
export interface DeviceIdentity {
  deviceId: string;
  householdId: string;
  /**
   * Increases with every successful connect of the device. When a device reconnects before the
   * broker noticed the old connection die, the old one's Last Will (`offline`) arrives after the
   * new `online`; `isLatestConnection` tells the stale will apart.
   */
  connection: number;
}

// A WeakMap rather than a property on the aedes Client, so nothing a client sends can set it
// and it goes away with the connection.
const identities = new WeakMap<Client, DeviceIdentity>();

const latest = new Map<string, number>();
let counter = 0;

/** Binds a device to an authenticated connection and makes it the device's latest one. */
export function setIdentity(client: Client, id: Omit<DeviceIdentity, 'connection'>): DeviceIdentity {
  const identity = { ...id, connection: ++counter };
  latest.set(id.deviceId, identity.connection);
  identities.set(client, identity);
  return identity;
}

/** True if `id` is the device's most recent authenticated connection. */
export function isLatestConnection(id: DeviceIdentity): boolean {
  return latest.get(id.deviceId) === id.connection;
}

export function identityOf(client: Client | null | undefined): DeviceIdentity | undefined {
  return client ? identities.get(client) : undefined;
}
