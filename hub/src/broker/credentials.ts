import argon2 from 'argon2';

/**
 * Device passwords (made by firmware-config at provisioning) are stored only as argon2id
 * hashes, with the library's defaults (64 MiB, 3 passes) that make offline guessing expensive.
 */

export async function hashDevicePassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyDevicePassword(hash: string, password: Buffer | string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    // A malformed stored hash must refuse the login, not crash the broker.
    return false;
  }
}
