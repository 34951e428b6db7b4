import { Aedes } from 'aedes';
import { KhoaError, topics } from '@khoa/protocol';
import type { Broker, BrokerDeps } from './broker.ts';
import { CredentialCache } from './credential-cache.ts';
import { ExternalBridge } from './external-bridge.ts';
import { ExternalIdentities } from './external-identity.ts';

/** How long a device's household and revocation state is trusted before being read again. */
const IDENTITY_TTL_MS = 30_000;

/**
 * Scale-out mode's Broker: devices are on the external broker, reached through the bridge;
 * aedes runs with no listener as the in-process bus the rest of the hub already publishes and
 * subscribes on (command sender, shared frames), so that code is the same in both modes.
 */
export async function startExternalBroker(deps: BrokerDeps): Promise<Broker> {
  const external = deps.settings.mqtt.external;
  if (!external) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'mqtt.external is not set', { setting: 'mqtt.external' });
  const now = deps.now ?? Date.now;
  // Nobody can connect to it (no listener), so it needs no authenticate hook; it refuses anyway.
  const aedes = await Aedes.createBroker({ authenticate: (_client, _user, _pass, cb) => cb(null, false) });
  const identities = new ExternalIdentities(deps.db, IDENTITY_TTL_MS, now);
  const bridge = new ExternalBridge({ settings: external, bus: aedes, identities, beforeAck: deps.beforeAck, metrics: deps.metrics, log: deps.log });
  const closeBus = () => new Promise<void>((resolve) => aedes.close(() => resolve()));
  try {
    await bridge.start();
  } catch (err) {
    await bridge.close().catch(() => {});
    await closeBus();
    throw err;
  }
  return {
    aedes,
    // No port of our own: devices use the external broker's.
    ports: { tcp: 0 },
    cache: new CredentialCache(0, 0, now),
    sendCommand(device, name, payload) {
      return new Promise((resolve, reject) => {
        // Through the bus like every other hub publish; the bridge forwards `…/cmd/#` out at QoS 1.
        aedes.publish({ cmd: 'publish', topic: topics.cmd(device, name), payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, dup: false }, (err) => {
          if (err) return reject(err);
          deps.metrics.messagesOut.inc({ kind: 'cmd' });
          resolve();
        });
      });
    },
    async disconnect(deviceId) {
      // The external broker holds the connection; its password file or ACL must drop the device
      // (see dashboards/mosquitto/). Here the hub stops accepting the device's messages at once.
      identities.forget(deviceId);
      deps.log.warn({ deviceId }, 'device revoked: remove it from the external broker too, or it stays connected there');
    },
    async close() {
      await bridge.close();
      await closeBus();
    },
  };
}
