import type { Client, PublishPacket } from 'aedes';
import { KhoaError, type ParsedTopic } from '@khoa/protocol';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { mayPublish, type AclDecision } from './acl.ts';
import { identityOf, type DeviceIdentity } from './identity.ts';

/**
 * What happens to an authorised publish before the broker acknowledges it. The hub's ingest
 * stores lock events here, so a QoS 1 PUBACK means "stored": if the hub dies first, the agent
 * resends. Rejecting (an error) makes aedes drop the connection, and the agent retries later.
 */
/** Topics whose ACL decision a connection keeps (see createAuthorizePublish). */
const DECISIONS_PER_CONNECTION = 32;

export type BeforeAck = (who: DeviceIdentity, topic: ParsedTopic, packet: PublishPacket) => Promise<unknown>;

/**
 * The broker's authorizePublish hook: the ACL (see acl.ts), counted and logged when it refuses,
 * then the ingest step. The hub's own publishes (commands) go through `aedes.publish` and
 * never reach this hook, so they bypass the ACL by construction.
 */
export function createAuthorizePublish(deps: { metrics: Metrics; log: Logger; beforeAck?: BeforeAck }) {
  // A device publishes on a handful of topics over and over; parsing each again (split, id
  // checks, a new object) was about 3% of a lock event's time on the broker. Per connection, and
  // bounded, so a client cycling through topics cannot grow it.
  const decided = new WeakMap<DeviceIdentity, Map<string, AclDecision>>();
  const decide = (who: DeviceIdentity | undefined, topic: string): AclDecision => {
    if (!who) return mayPublish(who, topic);
    let known = decided.get(who);
    if (!known) decided.set(who, (known = new Map()));
    let decision = known.get(topic);
    if (!decision) {
      if (known.size >= DECISIONS_PER_CONNECTION) known.clear();
      known.set(topic, (decision = mayPublish(who, topic)));
    }
    return decision;
  };
  return function authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    // A Last Will left by a previous broker instance comes with no client and so no identity:
    // it is refused (the device's next connection publishes a fresh status anyway).
    const who = identityOf(client);
    const decision = decide(who, packet.topic);
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
