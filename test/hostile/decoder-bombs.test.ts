import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, topics } from '@khoa/protocol';
import type { MqttClient } from 'mqtt';
import { startTestHub, waitFor, type TestHub } from '../../hub/src/testing/harness.ts';
import { consoleDb } from '../../hub/src/storage/console-tables.ts';
import { setPasswordHash } from '../../hub/src/storage/users.ts';
import { createUser, hashPassword } from '../../hub/src/accounts/index.ts';
import { ffmpegPath } from '../../hub/src/pipeline/frames/video.ts';
import { ApiClient, PASSWORD } from '../console-fixture.ts';
import { brokenFrames, goodJpeg, jpegClaiming, pngBomb } from './bombs.ts';
import { counter, rssMB } from './rig.ts';

// Decompression bombs and broken images (issue 9): frames over MQTT into the hub's real
// pipeline (ONNX worker), files given to `khoa analyze`, photos on the tip route. Each must be
// refused from its header before a full decode, with a code and a metric, memory must stay
// flat, and the camera must go on with its next good frame.

const khoa = fileURLToPath(new URL('../../hub/bin/khoa.js', import.meta.url));
let t: TestHub;
let cam: MqttClient;
let dir: string;
const ref = { householdId: 'hh-bomb', deviceId: 'dev-bomb' };
let seq = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'khoa-bombs-'));
  t = await startTestHub(undefined, { pipeline: { workers: 1, maxFrameAgeMs: 60_000 } });
  cam = await t.connect('dev-bomb', await t.provision('hh-bomb', 'dev-bomb'));
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Frames the hub has finished with: refused by the envelope check at ingest, or done in the pipeline whatever the outcome. */
const framesDone = async () => (await counter(t.hub, 'khoa_pipeline_frames_total')) + (await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame', reason: 'frame' }));

/** Sends one frame as the agent would (the header may lie about the size) and waits until the pipeline is done with it. */
async function sendFrame(jpeg: Buffer): Promise<void> {
  const before = await framesDone();
  const header = { seq: seq++, ts: Date.now(), width: 640, height: 480, keyframe: true, motion: true };
  await cam.publishAsync(topics.camFrame(ref, 'gate'), encodeFrame(header, jpeg), { qos: 1 });
  await waitFor(async () => (await framesDone()) > before, 60_000, `frame ${header.seq} done`);
}

describe('camera frames over MQTT', () => {
  it('refuses bombs and broken frames by their header, counts them, keeps memory flat, analyses the next good frame', async () => {
    // Warm up: the worker loads its model on the first frame.
    await sendFrame(await goodJpeg());
    expect(await counter(t.hub, 'khoa_pipeline_frames_total', { result: 'analysed' })).toBe(1);
    const rss0 = rssMB();
    const bombs = { jpeg65k: await jpegClaiming(65_000, 65_000), jpeg16k: await jpegClaiming(16_000, 16_000), jpegWide: await jpegClaiming(60_000, 800), png20k: pngBomb() };
    const broken = await brokenFrames();
    for (let round = 0; round < 5; round++) {
      for (const b of [...Object.values(bombs), ...Object.values(broken)]) await sendFrame(b);
    }
    const growth = rssMB() - rss0;
    console.log(`frames: hub RSS growth over ${5 * (4 + 5)} hostile frames: ${growth.toFixed(1)} MB`);
    // Decoding one 65000² frame would need 12 GB, one 16000² 768 MB.
    expect(growth).toBeLessThan(150);
    expect(await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame', reason: 'image_too_large' })).toBe(15);
    // The PNG, and the garbage, have no JPEG SOI marker: the envelope check refuses them unread.
    expect(await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame', reason: 'frame' })).toBe(5 * 2);
    // The other broken ones fail their decode in the worker.
    expect(await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame', reason: 'image_decode' })).toBe(5 * 4);
    expect(await counter(t.hub, 'khoa_pipeline_frames_total', { result: 'invalid' })).toBe(5 * 7);
    // The same camera goes on.
    await sendFrame(await goodJpeg(640, 360, 2));
    expect(await counter(t.hub, 'khoa_pipeline_frames_total', { result: 'analysed' })).toBe(2);
    expect((await fetch(`${t.http}/healthz`)).status).toBe(200);
  }, 180_000);
});

describe('photos on the tip route', () => {
  it('refuses a photo whose header declares too many pixels, and garbage, before storing it', async () => {
    const db = consoleDb(t.hub.db.kysely);
    const { user } = await createUser(db, { username: 'nha.bomb', role: 'household', householdId: 'hh-bomb' });
    await setPasswordHash(db, user.id, await hashPassword(PASSWORD));
    const home = new ApiClient(t.http);
    expect((await home.login('nha.bomb')).status).toBe(200);
    const tip = (type: string, bytes: Buffer) => home.post('/api/tips', { text: 'có người lạ', photo: { type, data: bytes.toString('base64') } });
    const cases: [string, Buffer, number, string][] = [
      ['image/png', pngBomb(), 413, 'KHOA_ERR_IMAGE_TOO_LARGE'],
      ['image/jpeg', await jpegClaiming(65_000, 65_000), 413, 'KHOA_ERR_IMAGE_TOO_LARGE'],
      ['image/jpeg', (await brokenFrames()).soiThenGarbage, 400, 'KHOA_ERR_IMAGE_DECODE'],
    ];
    for (const [type, bytes, status, code] of cases) {
      const r = await tip(type, bytes);
      expect(r.status, code).toBe(status);
      expect(((await r.json()) as { code: string }).code).toBe(code);
    }
    expect(await counter(t.hub, 'khoa_console_photos_refused_total', { code: 'KHOA_ERR_IMAGE_TOO_LARGE' })).toBe(2);
    expect(await t.hub.db.kysely.selectFrom('alerts').select('id').where('household_id', '=', 'hh-bomb').where('kind', '=', 'tip').execute()).toHaveLength(0);
    // An honest photo still goes through.
    expect((await tip('image/jpeg', await goodJpeg())).status).toBe(201);
  }, 60_000);
});

/** `khoa analyze` as a user runs it, under /usr/bin/time when present for its peak memory. */
function analyze(file: string): Promise<{ code: number | null; stdout: string; stderr: string; maxRssMB?: number }> {
  const timed = existsSync('/usr/bin/time');
  const [cmd, args] = timed ? ['/usr/bin/time', ['-f', 'KHOA_MAXRSS_KB=%M', process.execPath, khoa, 'analyze', file, '--json']] : [process.execPath, [khoa, 'analyze', file, '--json']];
  return new Promise((resolve) => {
    const p = spawn(cmd as string, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => {
      const kb = /KHOA_MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
      resolve({ code, stdout, stderr, ...(kb && { maxRssMB: Number(kb) / 1024 }) });
    });
  });
}

describe('khoa analyze on hostile files', () => {
  it('refuses image bombs, broken images, a video of 8000x8000 frames and garbage with a coded error and little memory', async () => {
    const files: Record<string, [Buffer | (() => void), string]> = {
      'claims-65000.jpg': [await jpegClaiming(65_000, 65_000), 'KHOA_ERR_IMAGE_TOO_LARGE'],
      'zeros-20000.png': [pngBomb(), 'KHOA_ERR_IMAGE_TOO_LARGE'],
      'truncated.jpg': [(await brokenFrames()).truncated, 'KHOA_ERR_IMAGE_DECODE'],
      'garbage.mp4': [(await brokenFrames()).garbage, 'KHOA_ERR_VIDEO_INPUT'],
    };
    for (const [name, [bytes]] of Object.entries(files)) writeFileSync(join(dir, name), bytes as Buffer);
    // A video whose frames are 8000×8000 (64 Mpx each, 192 MB as RGB), 30 KB on disk: our PNG
    // bomb muxed as it is, without re-encoding.
    writeFileSync(join(dir, 'frame.png'), pngBomb(8000, 8000));
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-framerate', '2', '-loop', '1', '-t', '3', '-i', join(dir, 'frame.png'), '-c:v', 'copy', join(dir, 'huge-frames.mkv')]);
    // The 2018 static ffmpeg from npm (the fallback where Debian's is missing) cannot mux frames
    // this large and writes an empty container: then it is an unreadable video, also refused.
    const muxed = statSync(join(dir, 'huge-frames.mkv')).size > 10_000;
    files['huge-frames.mkv'] = [() => {}, muxed ? 'KHOA_ERR_IMAGE_TOO_LARGE' : 'KHOA_ERR_VIDEO_INPUT'];
    const peaks: Record<string, number | undefined> = {};
    for (const [name, [, code]] of Object.entries(files)) {
      const r = await analyze(join(dir, name));
      expect(r.code, `${name}: ${r.stderr}`).toBe(1);
      expect(r.stderr, name).toContain(code);
      expect(r.stdout, name).toBe(''); // no frame analysed
      expect(r.stderr, name).not.toMatch(/\n\s+at /); // a coded message, not a stack trace
      peaks[name] = r.maxRssMB;
      // Node, tsx and the loaded detector take ~270 MB (a good 1.2 Mpx photo peaks at ~360 MB);
      // one decoded 8000² frame would add 192 MB, a 20000² PNG 1.2 GB.
      if (r.maxRssMB !== undefined) expect(r.maxRssMB, name).toBeLessThan(400);
    }
    console.log(`analyze: peak RSS per hostile file (MB): ${JSON.stringify(Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, v && Math.round(v)])))}`);
  }, 120_000);
});
