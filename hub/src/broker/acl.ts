import { parseTopic, TOPIC_ROOT, type ParsedTopic } from '@khoa/protocol';
import type { DeviceIdentity } from './identity.ts';

/** Why the ACL refused something; also the `reason` label of khoa_acl_rejected_total. */
export type AclRefusal = 'no_identity' | 'wildcard' | 'system_topic' | 'not_contract' | 'foreign_prefix' | 'hub_only';

export type AclDecision = { ok: true; topic: ParsedTopic } | { ok: false; reason: AclRefusal };

/**
 * May this device publish to this topic? Only under its own `khoa/v1/{household}/{device}/`
 * prefix, only topics of the contract, and never `cmd/` (only the hub writes commands).
 * Pure, so it is tested on its own and reused by the broker hook.
 */
export function mayPublish(who: DeviceIdentity | undefined, topic: string): AclDecision {
  if (!who) return { ok: false, reason: 'no_identity' };
  // aedes already refuses wildcards in PUBLISH; checked again so the refusal is counted as such.
  if (topic.includes('+') || topic.includes('#')) return { ok: false, reason: 'wildcard' };
  if (topic.startsWith('$')) return { ok: false, reason: 'system_topic' };
  const parsed = parseTopic(topic);
  if (!parsed) return { ok: false, reason: 'not_contract' };
  if (parsed.householdId !== who.householdId || parsed.deviceId !== who.deviceId) return { ok: false, reason: 'foreign_prefix' };
  if (parsed.kind === 'cmd') return { ok: false, reason: 'hub_only' };
  return { ok: true, topic: parsed };
}

/**
 * May this device subscribe to this filter? Only to its own commands: `…/cmd/#`, `…/cmd/+`
 * or one `…/cmd/{name}`. Reading other devices' events, frames or status is not allowed.
 */
export function maySubscribe(who: DeviceIdentity | undefined, filter: string): { ok: true } | { ok: false; reason: AclRefusal } {
  if (!who) return { ok: false, reason: 'no_identity' };
  if (filter.startsWith('$')) return { ok: false, reason: 'system_topic' };
  const own = `${TOPIC_ROOT}/${who.householdId}/${who.deviceId}/cmd/`;
  if (!filter.startsWith(own)) {
    return { ok: false, reason: filter.startsWith(`${TOPIC_ROOT}/`) ? 'foreign_prefix' : 'not_contract' };
  }
  const tail = filter.slice(own.length);
  if (tail === '#' || tail === '+') return { ok: true };
  const parsed = parseTopic(filter);
  if (parsed?.kind === 'cmd') return { ok: true };
  return { ok: false, reason: tail.includes('+') || tail.includes('#') ? 'wildcard' : 'not_contract' };
}
