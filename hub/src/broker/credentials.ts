import argon2 from 'argon2';

/**
 * Device passwords (made by firmware-config at provisioning) are stored only as argon2id
 * hashes. They are 192 random bits, so no cost setting changes whether they can be guessed;
 * what the cost does change is how long a hub restart takes, when every agent of a commune
 * reconnects at once. The library's defaults (64 MiB, 3 passes, 4 lanes) cost about 0.5 s of
 * CPU per CONNECT on a loaded 2-core hub; OWASP's minimum argon2id setting (19 MiB, 2 passes,
 * 1 lane) about a sixth of that. Existing hashes carry their own parameters and still verify.
 */
const DEVICE_HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashDevicePassword(password: string): Promise<string> {
  return argon2.hash(password, DEVICE_HASH_OPTIONS);
}

export async function verifyDevicePassword(hash: string, password: Buffer | string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    // A malformed stored hash must refuse the login, not crash the broker.
    return false;
  }
}
