import type { Client, PublishPacket } from 'aedes';
import { KhoaError, type ParsedTopic } from '@khoa/protocol';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { mayPublish } from './acl.ts';
import { identityOf, type DeviceIdentity } from './identity.ts';

/**
 * What happens to an authorised publish before the broker acknowledges it. The hub's ingest
 * stores lock events here, so a QoS 1 PUBACK means "stored": if the hub dies first, the agent
 * resends. Rejecting (an error) makes aedes drop the connection, and the agent retries later.
 */
export type BeforeAck = (who: DeviceIdentity, topic: ParsedTopic, packet: PublishPacket) => Promise<void>;

/**
 * The broker's authorizePublish hook: the ACL (see acl.ts), counted and logged when it refuses,
 * then the ingest step. The hub's own publishes (commands) go through `aedes.publish` and
 * never reach this hook, so they bypass the ACL by construction.
 */
export function createAuthorizePublish(deps: { metrics: Metrics; log: Logger; beforeAck?: BeforeAck }) {
  return function authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    // A Last Will left by a previous broker instance comes with no client and so no identity:
    // it is refused (the device's next connection publishes a fresh status anyway).
    const who = identityOf(client);
    const decision = mayPublish(who, packet.topic);
    if (!decision.ok) {
      deps.metrics.aclRejected.inc({ action: 'publish', reason: decision.reason });
      const err = new KhoaError('KHOA_ERR_NOT_AUTHORISED', `publish to ${packet.topic.slice(0, 200)}`, { reason: decision.reason, clientId: client?.id });
      deps.log.warn({ err: err.toJSON(), deviceId: who?.deviceId ?? client?.id, householdId: who?.householdId }, 'publish refused');
      return callback(err);
    }
    if (!deps.beforeAck || !who) return callback(null);
    deps.beforeAck(who, decision.topic, packet).then(
      () => callback(null),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  };
}
