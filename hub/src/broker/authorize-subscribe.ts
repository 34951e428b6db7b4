import type { Client, Subscription } from 'aedes';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { maySubscribe } from './acl.ts';
import { identityOf } from './identity.ts';

/**
 * The broker's authorizeSubscribe hook. A refused filter is granted 0x80 (failure) in the
 * SUBACK [MQTT-3.9.3] rather than dropping the connection, so a misconfigured agent still
 * gets its commands on its other subscriptions.
 */
export function createAuthorizeSubscribe(deps: { metrics: Metrics; log: Logger }) {
  return function authorizeSubscribe(client: Client, sub: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void): void {
    const who = identityOf(client);
    const decision = maySubscribe(who, sub.topic);
    if (decision.ok) return callback(null, sub);
    deps.metrics.aclRejected.inc({ action: 'subscribe', reason: decision.reason });
    deps.log.warn({ deviceId: who?.deviceId ?? client.id, householdId: who?.householdId, filter: sub.topic.slice(0, 200), reason: decision.reason, code: 'KHOA_ERR_NOT_AUTHORISED' }, 'subscription refused');
    callback(null, null);
  };
}
