import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KhoaError } from '@khoa/protocol';

/**
 * Fetches an ONVIF snapshot URI with HTTP Basic or Digest auth (RFC 7617 / RFC 7616, MD5 with
 * qop=auth, which is what cameras implement). node-onvif has its own fetchSnapshot, but it keeps
 * auth state on a shared singleton and has no timeout, so the agent does this itself.
 */
export interface SnapshotRequest {
  url: string;
  user?: string;
  pass?: string;
  timeoutMs: number;
  maxBytes: number;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function get(url: URL, headers: Record<string, string>, r: SnapshotRequest): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, timeout: r.timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > r.maxBytes) {
          req.destroy(new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', `snapshot larger than ${r.maxBytes} bytes`, { bytes: size }));
          return;
        }
        parts.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new KhoaError('KHOA_ERR_CAMERA_TIMEOUT', `snapshot took longer than ${r.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function digestHeader(challenge: string, url: URL, user: string, pass: string): string {
  const p: Record<string, string> = {};
  for (const m of challenge.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[(m[1] as string).toLowerCase()] = m[2] ?? m[3] ?? '';
  const realm = p.realm ?? '';
  const nonce = p.nonce ?? '';
  const uri = url.pathname + url.search;
  const qop = (p.qop ?? '').split(',').map((s) => s.trim()).includes('auth') ? 'auth' : undefined;
  const ha1 = md5(`${user}:${realm}:${pass}`);
  const ha2 = md5(`GET:${uri}`);
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const fields = [`username="${user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, `response="${response}"`, 'algorithm=MD5'];
  if (qop) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (p.opaque !== undefined) fields.push(`opaque="${p.opaque}"`);
  return `Digest ${fields.join(', ')}`;
}

function classify(err: unknown): KhoaError {
  if (err instanceof KhoaError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new KhoaError('KHOA_ERR_CAMERA_UNREACHABLE', `snapshot: ${msg}`);
}

/** Returns the JPEG bytes, or throws a coded camera error. */
export async function fetchSnapshot(r: SnapshotRequest): Promise<Buffer> {
  const url = new URL(r.url);
  let reply: Reply;
  try {
    reply = await get(url, {}, r);
    if (reply.status === 401 && r.user !== undefined) {
      const challenge = String(reply.headers['www-authenticate'] ?? '');
      const auth = /^Digest/i.test(challenge)
        ? digestHeader(challenge, url, r.user, r.pass ?? '')
        : `Basic ${Buffer.from(`${r.user}:${r.pass ?? ''}`).toString('base64')}`;
      reply = await get(url, { authorization: auth }, r);
    }
  } catch (err) {
    throw classify(err);
  }
  if (reply.status === 401 || reply.status === 403) throw new KhoaError('KHOA_ERR_CAMERA_AUTH', 'snapshot URI refused the credentials', { status: reply.status });
  if (reply.status !== 200) throw new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', `snapshot URI answered HTTP ${reply.status}`, { status: reply.status });
  const b = reply.body;
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) throw new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', 'snapshot is not a JPEG', { bytes: b.length });
  return b;
}
