import { KhoaError } from '@khoa/protocol';

// Key types OpenSSH accepts in authorized_keys; DSA is left out (OpenSSH disabled it).
const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/**
 * Reads the installer's public key file (`--ssh-key`, e.g. ~/.ssh/id_ed25519.pub): one or more
 * `type base64 [comment]` lines. A private key given by mistake is refused with a message that
 * says so, because copying it onto an SD card would leak it.
 */
export function parseSshPublicKeys(text: string, file = '--ssh-key'): string[] {
  if (text.includes('PRIVATE KEY')) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${file} is a private key; give the .pub file`, { option: 'ssh-key' });
  const keys: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [type, body, ...comment] = line.split(/\s+/);
    if (!type || !KEY_TYPES.has(type) || !body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 60) {
      throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${file}: not an SSH public key line (${line.slice(0, 24)}…)`, { option: 'ssh-key' });
    }
    // The comment is kept but cleaned: it lands in YAML and in authorized_keys.
    const note = comment.join(' ').replace(/[^\w@.+-]/g, '').slice(0, 64);
    keys.push(note ? `${type} ${body} ${note}` : `${type} ${body}`);
  }
  if (keys.length === 0) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${file} holds no public key`, { option: 'ssh-key' });
  return keys;
}
