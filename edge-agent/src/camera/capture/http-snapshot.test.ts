import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startOnvifSim, type OnvifSim } from '../../../../test/fixtures/onvif-sim/index.ts';
import { fetchSnapshot } from './http-snapshot.ts';
import { jpegSize } from './jpeg-size.ts';

const USER = 'viewer';
const PASS = 'snap-pass-99';

describe('fetchSnapshot (HTTP Digest and Basic, bounded, coded errors)', () => {
  let digest: OnvifSim;
  let basic: OnvifSim;
  let odd: Server;
  let oddUrl: string;
  let jpeg: Buffer;

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#204060' } }).jpeg().toBuffer();
    digest = await startOnvifSim({ user: USER, pass: PASS, snapshot: jpeg, snapshotAuth: 'digest' });
    basic = await startOnvifSim({ user: USER, pass: PASS, snapshot: jpeg, snapshotAuth: 'basic' });
    // Misbehaving endpoints: one never answers, one answers HTML, one sends a huge body.
    odd = createServer((req, res) => {
      if (req.url === '/hang') return;
      if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login</html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(Buffer.alloc(300_000, 0xff));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await digest?.close();
    await basic?.close();
    odd.closeAllConnections();
    await new Promise<void>((resolve) => odd.close(() => resolve()));
  });

  const req = (url: string, over: Partial<Parameters<typeof fetchSnapshot>[0]> = {}) => ({ url, user: USER, pass: PASS, timeoutMs: 1000, maxBytes: 100_000, ...over });

  it('answers a Digest challenge and a Basic challenge', async () => {
    const a = await fetchSnapshot(req(digest.snapshotUri));
    expect(a.equals(jpeg)).toBe(true);
    expect(jpegSize(a)).toEqual({ width: 320, height: 240 });
    expect((await fetchSnapshot(req(basic.snapshotUri))).equals(jpeg)).toBe(true);
  });

  it.each([
    ['a wrong password', () => req(digest.snapshotUri, { pass: 'nope' }), 'KHOA_ERR_CAMERA_AUTH'],
    ['no answer', () => req(`${oddUrl}/hang`, { timeoutMs: 300 }), 'KHOA_ERR_CAMERA_TIMEOUT'],
    ['an HTML page', () => req(`${oddUrl}/html`), 'KHOA_ERR_CAMERA_PROTOCOL'],
    ['a body over the limit', () => req(`${oddUrl}/big`), 'KHOA_ERR_CAMERA_PROTOCOL'],
    ['a closed port', () => req('http://127.0.0.1:1/snap.jpg'), 'KHOA_ERR_CAMERA_UNREACHABLE'],
  ] as const)('refuses %s with a coded error', async (_what, make, code) => {
    await expect(fetchSnapshot(make())).rejects.toMatchObject({ code });
  });
});
