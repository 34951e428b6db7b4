import { randomInt } from 'node:crypto';
import argon2 from 'argon2';

/**
 * Console passwords, stored only as argon2id hashes (library defaults: 64 MiB, 3 passes).
 * Generated passwords avoid look-alike characters because they are read off a screen and
 * typed on a phone by someone who may not read Latin script every day.
 */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789';

export function generatePassword(length = 16): string {
  // 16 characters of 51 symbols: about 90 bits.
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    // A malformed stored hash refuses the login rather than crash the request.
    return false;
  }
}

/**
 * A hash of a random password nobody knows, verified when the username does not exist so a
 * wrong username costs the same time as a wrong password (no account enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(generatePassword(24));
  return decoy;
}
