import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/**
 * Device passwords: random, made at provisioning, stored only as argon2id hashes (the
 * library's defaults: 64 MiB, 3 passes, which makes offline guessing expensive).
 */
export function newDevicePassword(): string {
  // 24 random bytes: 192 bits, far beyond guessing; base64url so it survives any config format.
  return randomBytes(24).toString('base64url');
}

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
