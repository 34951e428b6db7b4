import type { Client } from 'aedes';
import type { Kysely } from 'kysely';
import type { ParsedTopic } from '@khoa/protocol';
import type { Database } from '../storage/tables.ts';
import { getCredentials } from '../storage/devices.ts';
import { setIdentity, type DeviceIdentity } from './identity.ts';
import type { AclRefusal } from './acl.ts';

interface Known {
  /** undefined: the device is unknown or revoked. */
  identity: DeviceIdentity | undefined;
  householdId: string | undefined;
  expires: number;
}

export type ExternalDecision = { ok: true; who: DeviceIdentity } | { ok: false; reason: AclRefusal | 'unknown_device' | 'revoked' };

/**
 * Who sent a message that came through the external broker. That broker authenticates devices
 * and its ACL binds the device id to the MQTT username (`pattern … khoa/v1/+/%u/…`), but a
 * Mosquitto pattern can not bind the household segment: a device could write under another
 * household with its own id. So the household in the topic is checked here against the devices
 * table, and revoked or unknown devices are refused too, like the embedded broker's
 * authenticate hook would. Answers are cached for `ttlMs` (one indexed read per device per TTL,
 * not per message); a revocation through this hub drops the entry at once (`forget`).
 */
export class ExternalIdentities {
  readonly #known = new Map<string, Known>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 100_000,
  ) {}

  async check(topic: ParsedTopic): Promise<ExternalDecision> {
    if (topic.kind === 'cmd') return { ok: false, reason: 'hub_only' };
    const k = await this.#lookup(topic.deviceId);
    if (!k.householdId) return { ok: false, reason: 'unknown_device' };
    if (!k.identity) return { ok: false, reason: 'revoked' };
    if (k.householdId !== topic.householdId) return { ok: false, reason: 'foreign_prefix' };
    return { ok: true, who: k.identity };
  }

  /** Drops what is known of a device (after a revocation). */
  forget(deviceId: string): void {
    this.#known.delete(deviceId);
  }

  async #lookup(deviceId: string): Promise<Known> {
    const t = this.now();
    const hit = this.#known.get(deviceId);
    if (hit && hit.expires > t) return hit;
    const row = await getCredentials(this.db, deviceId);
    // One identity per device for the process's life, so `isLatestConnection` holds for it: the
    // external broker, not this hub, sees the device's connections, and it delivers a replaced
    // connection's Last Will before the new connection's messages on our ordered subscription.
    // A device moved to another household gets a fresh identity.
    let identity: DeviceIdentity | undefined;
    if (row && !row.revoked) identity = hit?.identity?.householdId === row.household_id ? hit.identity : setIdentity(identityKey(), { deviceId, householdId: row.household_id });
    const known: Known = { identity, householdId: row?.household_id, expires: t + this.ttlMs };
    if (this.#known.size >= this.maxEntries && !hit) this.#known.clear();
    this.#known.set(deviceId, known);
    return known;
  }
}

/**
 * identity.ts keys identities by aedes Client in a WeakMap; a message from the external broker
 * has no aedes client, so a fresh object stands in as the key (only `setIdentity` sees it).
 */
function identityKey(): Client {
  return {} as Client;
}
