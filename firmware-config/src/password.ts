import { randomBytes } from 'node:crypto';

/**
 * A device's MQTT password: 24 random bytes (192 bits, beyond guessing even without the hub's
 * rate limit), base64url so it survives JSON, YAML and shell quoting. Made once at
 * provisioning; only the hub's argon2id hash of it is kept on the hub.
 */
export function newDevicePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** A device id for a household's agent when the installer does not choose one. */
export function newAgentId(): string {
  return `agent-${randomBytes(5).toString('hex')}`;
}
