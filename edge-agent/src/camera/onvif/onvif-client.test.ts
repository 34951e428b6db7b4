import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { startOnvifSim, type OnvifSim } from '../../../../test/fixtures/onvif-sim/index.ts';
import { probeOnvif, readOnvifCamera } from './onvif-client.ts';
import { chooseProfile } from './profile-choice.ts';

const USER = 'admin';
const PASS = 'correct-horse-42';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(isKhoaError(err)).toBe(true);
    return (err as { code: string }).code;
  }
}

describe('ONVIF client against the simulated camera (real SOAP over HTTP)', () => {
  let sim: OnvifSim;
  beforeAll(async () => {
    sim = await startOnvifSim({ user: USER, pass: PASS, streamUri: 'rtsp://127.0.0.1:8554/live' });
  });
  afterAll(async () => sim.close());

  it('reads device information, profiles and URIs with a WS-UsernameToken digest', async () => {
    sim.setMode('ok');
    const d = await readOnvifCamera({ xaddr: sim.xaddr, user: USER, pass: PASS });
    expect(d).toMatchObject({ manufacturer: 'Khoa', model: 'SimCam 1', firmware: '1.0.0' });
    expect(d.profiles.map((p) => p.token)).toEqual(['main', 'sub', 'third']);
    const sub = chooseProfile(d.profiles);
    expect(sub).toMatchObject({ token: 'sub', width: 640, height: 360, rtspUri: 'rtsp://127.0.0.1:8554/live' });
    expect(sub?.snapshotUri).toContain('/snapshot.jpg');
    expect(sim.calls).toEqual(expect.arrayContaining(['GetCapabilities', 'GetDeviceInformation', 'GetProfiles', 'GetStreamUri', 'GetSnapshotUri']));
  });

  it('adds a camera by address (host:port, standard device service path)', async () => {
    const d = await readOnvifCamera({ address: sim.address, user: USER, pass: PASS });
    expect(d.xaddr).toBe(sim.xaddr);
    // The stream URI keeps its own host and port (node-onvif's address mode would rewrite them).
    expect(d.profiles[1]?.rtspUri).toBe('rtsp://127.0.0.1:8554/live');
  });

  it('reports a wrong password as KHOA_ERR_CAMERA_AUTH (400 + ter:NotAuthorized)', async () => {
    expect(await codeOf(readOnvifCamera({ xaddr: sim.xaddr, user: USER, pass: 'wrong' }))).toBe('KHOA_ERR_CAMERA_AUTH');
  });

  it('reports a wrong password as KHOA_ERR_CAMERA_AUTH (401)', async () => {
    const s401 = await startOnvifSim({ user: USER, pass: PASS, authFailureStatus: 401 });
    try {
      expect(await codeOf(readOnvifCamera({ xaddr: s401.xaddr, user: 'someone', pass: PASS }))).toBe('KHOA_ERR_CAMERA_AUTH');
    } finally {
      await s401.close();
    }
  });

  it('reports a closed port as KHOA_ERR_CAMERA_UNREACHABLE', async () => {
    expect(await codeOf(readOnvifCamera({ address: '127.0.0.1:1', user: USER, pass: PASS }))).toBe('KHOA_ERR_CAMERA_UNREACHABLE');
  });

  it.each([['garbage'], ['wrong_xml'], ['fault']] as const)('reports %s answers as KHOA_ERR_CAMERA_PROTOCOL', async (mode) => {
    sim.setMode(mode);
    try {
      expect(await codeOf(readOnvifCamera({ xaddr: sim.xaddr, user: USER, pass: PASS }))).toBe('KHOA_ERR_CAMERA_PROTOCOL');
    } finally {
      sim.setMode('ok');
    }
  });

  it('gives up on a camera that never answers with KHOA_ERR_CAMERA_TIMEOUT', async () => {
    sim.setMode('hang');
    try {
      const t0 = Date.now();
      expect(await codeOf(readOnvifCamera({ xaddr: sim.xaddr, user: USER, pass: PASS }, 1500))).toBe('KHOA_ERR_CAMERA_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      sim.setMode('ok');
    }
  });

  it('refuses credentials node-onvif would put into XML unescaped', async () => {
    expect(await codeOf(readOnvifCamera({ xaddr: sim.xaddr, user: 'a<b', pass: PASS }))).toBe('KHOA_ERR_CONFIG_INVALID');
  });

  it('finds the camera by WS-Discovery (Probe → ProbeMatches over UDP)', async () => {
    const found = await probeOnvif({ address: '127.0.0.1', port: sim.discoveryPort, waitMs: 700 });
    expect(found).toEqual([{ urn: sim.urn, name: 'Khoa Sim Camera', hardware: 'KhoaSim', xaddrs: [sim.xaddr] }]);
    // Two probes at once are serialised, not mixed on node-onvif's singleton socket.
    const [a, b] = await Promise.all([
      probeOnvif({ address: '127.0.0.1', port: sim.discoveryPort, waitMs: 300 }),
      probeOnvif({ address: '127.0.0.1', port: sim.discoveryPort, waitMs: 300 }),
    ]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
  });
});

describe('chooseProfile', () => {
  const p = (token: string, width?: number) => ({ token, width, rtspUri: 'rtsp://x/' + token });
  it('takes the smallest profile at least minWidth wide', () => {
    expect(chooseProfile([p('a', 1920), p('b', 704), p('c', 640), p('d', 352)])?.token).toBe('c');
    expect(chooseProfile([p('a', 1920), p('b', 704)], 800)?.token).toBe('a');
  });
  it('falls back to the widest when none is wide enough, and honours a configured token', () => {
    expect(chooseProfile([p('a', 320), p('b', 400)])?.token).toBe('b');
    expect(chooseProfile([p('a', 1920), p('b', 640)], 480, 'a')?.token).toBe('a');
    expect(chooseProfile([p('a', 1920)], 480, 'zz')).toBeUndefined();
  });
});
