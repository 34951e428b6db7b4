import { Aedes } from 'aedes';
import type { Kysely } from 'kysely';
import { topics, type KhoaError, type CommandName, type CommandPayloads, type DeviceRef } from '@khoa/protocol';
import type { Database } from '../storage/tables.ts';
import type { Settings } from '../settings/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import { createAuthenticate } from './authenticate.ts';
import { createAuthorizePublish, type BeforeAck } from './authorize-publish.ts';
import { createAuthorizeSubscribe } from './authorize-subscribe.ts';
import { CredentialCache } from './credential-cache.ts';
import { LoginThrottle } from './login-throttle.ts';
import { startListeners, type BrokerPorts } from './listeners.ts';
import { identityOf } from './identity.ts';

export interface Broker {
  aedes: Aedes;
  ports: BrokerPorts;
  cache: CredentialCache;
  /** Publishes a command to a device (QoS 1). The hub's own publishes bypass the ACL. */
  sendCommand<K extends CommandName>(device: DeviceRef, name: K, payload: CommandPayloads[K]): Promise<void>;
  /** Drops the live connections of a device (after revocation). */
  disconnect(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

export interface BrokerDeps {
  db: Kysely<Database>;
  settings: Settings;
  metrics: Metrics;
  log: Logger;
  beforeAck: BeforeAck;
  now?: () => number;
}

/** The embedded aedes broker with Khoa's authentication and ACL hooks, on its listeners. */
export async function startBroker(deps: BrokerDeps): Promise<Broker> {
  const { settings, metrics } = deps;
  const log = deps.log.child({ subsystem: 'broker' });
  const now = deps.now ?? Date.now;
  const a = settings.auth;
  const cache = new CredentialCache(a.cacheTtlMs, a.cacheMaxEntries, now);
  // The address limit is looser than the device's: many households may share one carrier-NAT address.
  const throttle = new LoginThrottle(
    {
      freeFailures: a.maxFailures, backoffBaseMs: a.lockoutMs, maxBackoffMs: a.maxLockoutMs,
      maxFailuresPerAddress: a.maxFailures * 4, addressLockoutMs: a.lockoutMs,
      maxFailuresPerAccount: a.maxFailuresPerDevice, accountLockoutMs: a.deviceLockoutMs, accountWindowMs: a.deviceLockoutMs,
      windowMs: a.failureWindowMs, trustedAddressMs: a.trustedAddressMs,
    },
    now,
  );

  const aedes = await Aedes.createBroker({
    authenticate: createAuthenticate({ db: deps.db, cache, throttle, metrics, log }),
    authorizePublish: createAuthorizePublish({ metrics, log, beforeAck: deps.beforeAck }),
    authorizeSubscribe: createAuthorizeSubscribe({ metrics, log }),
    // Device ids are up to 64 characters; 3.1.1 allows long client ids, 3.1 clients are limited to 23 by aedes.
    maxClientsIdLength: 64,
    keepaliveLimit: settings.mqtt.maxKeepaliveS,
  });
  aedes.on('clientError', (client, err) => {
    // aedes refuses wildcards in PUBLISH itself, before the ACL hook [MQTT-3.3.2-2]; counted
    // here so every refused publish shows in khoa_acl_rejected_total.
    if (/is not allowed in PUBLISH/.test(err.message)) {
      metrics.aclRejected.inc({ action: 'publish', reason: 'wildcard' });
      const who = identityOf(client);
      log.warn({ deviceId: who?.deviceId ?? client.id, householdId: who?.householdId, reason: 'wildcard', code: 'KHOA_ERR_NOT_AUTHORISED' }, 'publish refused');
      return;
    }
    log.debug({ deviceId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));
  aedes.on('clientDisconnect', (client) => {
    const who = identityOf(client);
    log.info({ deviceId: who?.deviceId ?? client.id, householdId: who?.householdId }, 'client disconnected');
  });

  let listeners;
  try {
    listeners = await startListeners(aedes, settings.mqtt, log, (err, address) => {
      const e = err as Partial<KhoaError>;
      metrics.payloadRejected.inc({ kind: 'packet', reason: e.code === 'KHOA_ERR_PAYLOAD_TOO_LARGE' ? 'too_large' : 'malformed' });
      log.warn({ err: e.toJSON?.() ?? err.message, address }, 'connection dropped: MQTT packet over the size bound');
    });
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  log.info({ ports: listeners.ports }, 'MQTT broker listening');

  return {
    aedes,
    ports: listeners.ports,
    cache,
    sendCommand(device, name, payload) {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic: topics.cmd(device, name), payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, dup: false }, (err) => {
          if (err) return reject(err);
          metrics.messagesOut.inc({ kind: 'cmd' });
          resolve();
        });
      });
    },
    async disconnect(deviceId) {
      const client = (aedes as unknown as { clients: Record<string, { close(cb: () => void): void } | undefined> }).clients[deviceId];
      if (client) await new Promise<void>((resolve) => client.close(resolve));
    },
    async close() {
      // A net.Server's close() waits for its open sockets, and only aedes ends its clients'
      // sockets: stop accepting first, then close aedes, then wait for the listeners.
      const listening = listeners.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await listening;
    },
  };
}
