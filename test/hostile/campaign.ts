import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { encodeFrame, topics } from '@khoa/protocol';
import { startTestHub, waitFor, type TestHub } from '../../hub/src/testing/harness.ts';
import { addArea } from '../../hub/src/storage/areas.ts';
import { consoleDb } from '../../hub/src/storage/console-tables.ts';
import { setPasswordHash } from '../../hub/src/storage/users.ts';
import { createUser, hashPassword, ROOT } from '../../hub/src/accounts/index.ts';
import { AREA_COLUMNS } from '../../hub/src/coverage/area-import.ts';
import { ApiClient } from '../console-fixture.ts';
import { goodJpeg, jpegClaiming, pngBomb } from './bombs.ts';
import { counter, rssMB } from './rig.ts';

/**
 * The hostile-input campaign for the soak report: N fuzzed inputs per surface against one hub,
 * each answered as a refusal with a KHOA_ERR_* code, an acceptance (the fuzzer made something
 * valid), or a crash (a 5xx, an uncaught exception in the hub's process, the hub no longer
 * answering). Tests call it with a small N; `npm run test:soak` with a large one.
 */

export type Surface = 'mqtt' | 'http' | 'csv' | 'images';

export interface SurfaceResult {
  surface: Surface;
  tried: number;
  refusedWithCodedError: number;
  /** Refused (4xx) without a KHOA_ERR_* code: a finding for the report. */
  refusedUncoded: number;
  /** Valid by chance (a fuzzed JSON that fits its schema, a good image): neither refused nor a crash. */
  accepted: number;
  crashes: number;
  /** Resident memory of the process running the hub (and this campaign) after the surface minus before, in MB. */
  hubRssGrowthMB: number;
}

export interface CampaignOptions {
  /** Inputs per surface (`perSurface` is the same; default 100). */
  n?: number;
  perSurface?: number;
  /** Told when a surface starts and ends (the soak prints it). */
  progress?: (line: string) => void;
  seed?: number;
  surfaces?: readonly Surface[];
  /** A hub to use (with pipeline workers for `images`); by default one is started and stopped. */
  hub?: TestHub;
}

const PASSWORD = 'campaign passphrase that is long';

interface Actors {
  device: MqttClient;
  devicePassword: string;
  ref: { householdId: string; deviceId: string };
  household: ApiClient;
  officer: ApiClient;
  admin: ApiClient;
}

async function setUp(t: TestHub, tag: string): Promise<Actors> {
  const k = t.hub.db.kysely;
  const ref = { householdId: `camp-hh-${tag}`, deviceId: `camp-dev-${tag}` };
  const devicePassword = await t.provision(ref.householdId, ref.deviceId);
  const device = await t.connect(ref.deviceId, devicePassword);
  await addArea(k, { id: `camp-root-${tag}`, level: 'province', name: 'Campaign' }).catch(() => {});
  const db = consoleDb(k);
  const hash = await hashPassword(PASSWORD);
  const clients: ApiClient[] = [];
  for (const a of [
    { username: `camp.home.${tag}`, role: 'household' as const, householdId: ref.householdId },
    { username: `camp.police.${tag}`, role: 'officer' as const, areaId: 'test-commune' },
    { username: `camp.admin.${tag}`, role: 'admin' as const, areaId: ROOT },
  ]) {
    const { user } = await createUser(db, a);
    await setPasswordHash(db, user.id, hash);
    await db.updateTable('users').set({ must_change_password: 0 }).where('id', '=', user.id).execute();
    const c = new ApiClient(t.http);
    const r = await c.login(a.username, PASSWORD);
    if (r.status !== 200) throw new Error(`campaign login ${a.username}: ${r.status}`);
    clients.push(c);
  }
  return { device, devicePassword, ref, household: clients[0]!, officer: clients[1]!, admin: clients[2]! };
}

/** A coded refusal: a 4xx whose JSON body carries a KHOA_ERR_* code. */
async function classify(r: Response): Promise<'refused' | 'accepted' | 'crash' | 'uncoded'> {
  if (r.status >= 500) return 'crash';
  if (r.status < 400) return 'accepted';
  const body = (await r.json().catch(() => ({}))) as { code?: unknown };
  return typeof body.code === 'string' && body.code.startsWith('KHOA_ERR_') ? 'refused' : 'uncoded';
}

const bytes = fc.uint8Array({ maxLength: 2048 });
const jsonish = fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));
const HEADER = AREA_COLUMNS.join(',');
const csvCell = fc.oneof(
  fc.constantFrom('', 'test-commune', 'x', 'province', 'commune', 'village', 'urban', 'rural', '12', '-1', '"', '""', '\u0000', '\ufeff', '=HYPERLINK("http://x")', '+1', '@A1'),
  fc.stringMatching(/^[a-z0-9-]{1,8}$/),
  fc.string({ maxLength: 16, unit: 'binary' }),
);
const csvFile = fc
  .tuple(fc.boolean(), fc.array(fc.array(csvCell, { minLength: 1, maxLength: 11 }), { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
  .map(([withHeader, rows, eol, latin1]) => {
    const text = [...(withHeader ? [HEADER] : []), ...rows.map((r) => r.join(','))].join(eol);
    return latin1 ? Buffer.from(text, 'latin1') : Buffer.from(text);
  });

/** Runs the campaign; returns one result per surface, in the order asked. */
export async function runHostileCampaign(opts: CampaignOptions): Promise<SurfaceResult[]> {
  const surfaces = opts.surfaces ?? (['mqtt', 'http', 'csv', 'images'] as const);
  const n = opts.n ?? opts.perSurface ?? 100;
  const say = opts.progress ?? (() => {});
  const seed = opts.seed ?? 20261123;
  const t = opts.hub ?? (await startTestHub(undefined, { pipeline: { workers: surfaces.includes('images') ? 1 : 0, maxFrameAgeMs: 60_000 } }));
  // Uncaught errors in this process are the hub's (it runs here): each one is a crash.
  let uncaught = 0;
  const onUncaught = (): void => void uncaught++;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  try {
    const actors = await setUp(t, `${seed}-${Math.random().toString(36).slice(2, 7)}`);
    if (surfaces.includes('images')) {
      // The worker loads its model on the first frame: not the campaign's memory.
      const before = await counter(t.hub, 'khoa_pipeline_frames_total');
      await actors.device.publishAsync(topics.camFrame(actors.ref, 'fuzz'), encodeFrame({ seq: 1_000_000, ts: Date.now(), width: 320, height: 240, keyframe: true, motion: true }, await goodJpeg(320, 240)), { qos: 1 });
      await waitFor(async () => (await counter(t.hub, 'khoa_pipeline_frames_total')) > before, 120_000, 'pipeline warm-up');
    }
    const results: SurfaceResult[] = [];
    for (const surface of surfaces) {
      const rss0 = rssMB();
      const before = uncaught;
      say(`hostile ${surface}: ${n} inputs`);
      const r = await RUNNERS[surface](t, actors, n, seed);
      const healthy = await fetch(`${t.http}/healthz`).then((x) => x.status === 200, () => false);
      const result = { surface, tried: n, ...r, crashes: r.crashes + (uncaught - before) + (healthy ? 0 : 1), hubRssGrowthMB: Math.round((rssMB() - rss0) * 10) / 10 };
      say(`hostile ${surface}: ${JSON.stringify(result)}`);
      results.push(result);
    }
    return results;
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    if (!opts.hub) await t.close();
  }
}

type Tally = { refusedWithCodedError: number; refusedUncoded: number; accepted: number; crashes: number };
const tally0 = (): Tally => ({ refusedWithCodedError: 0, refusedUncoded: 0, accepted: 0, crashes: 0 });

function count(tally: Tally, c: Awaited<ReturnType<typeof classify>>): void {
  if (c === 'refused') tally.refusedWithCodedError++;
  else if (c === 'uncoded') tally.refusedUncoded++;
  else if (c === 'accepted') tally.accepted++;
  else tally.crashes++;
}
type Runner = (t: TestHub, a: Actors, n: number, seed: number) => Promise<Tally>;

const RUNNERS: Record<Surface, Runner> = {
  // Fuzzed payloads on every topic kind of the device's own prefix (foreign prefixes are the ACL's test).
  async mqtt(t, a, n, seed) {
    const { ref } = a;
    const targets = [topics.lockEvent(ref, 'l1'), topics.register(ref), topics.heartbeat(ref), topics.camState(ref, 'c1'), topics.camFrame(ref, 'c1'), topics.reply(ref, 'arm'), topics.status(ref)];
    const tally = tally0();
    let device = a.device;
    for (const [topic, payload] of fc.sample(fc.tuple(fc.constantFrom(...targets), fc.oneof(bytes, jsonish)), { numRuns: n, seed })) {
      const before = await counter(t.hub, 'khoa_payload_rejected_total');
      try {
        // QoS 1: the hub acknowledges after ingest has handled (or refused) the message.
        await device.publishAsync(topic, Buffer.from(payload), { qos: 1 });
      } catch {
        // A connection the broker dropped (e.g. a payload over the packet bound) is not a crash; reconnect.
        device = await t.connect(ref.deviceId, a.devicePassword).catch(() => device);
      }
      if ((await counter(t.hub, 'khoa_payload_rejected_total')) > before) tally.refusedWithCodedError++;
      else tally.accepted++;
    }
    return tally;
  },

  // Fuzzed JSON and text bodies on login, tips and an alert workflow step.
  async http(t, a, n, seed) {
    const tally = tally0();
    const routes: [ApiClient, string][] = [[new ApiClient(t.http), '/api/login'], [a.household, '/api/tips'], [a.officer, '/api/alerts/1/acknowledge'], [a.admin, '/api/district/areas/test-commune/standing'], [a.officer, '/api/no-such-route'], [a.admin, '/api/district/no-such-route']];
    const samples = fc.sample(fc.tuple(fc.nat(routes.length - 1), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 300 }), fc.object({ maxDepth: 2 }))), { numRuns: n, seed });
    for (const [i, body] of samples) {
      const [client, path] = routes[i]!;
      const r = await client.req('POST', path, typeof body === 'string' ? body : JSON.stringify(body) ?? 'null');
      count(tally, await classify(r));
    }
    return tally;
  },

  // Fuzzed area files uploaded to the district import (all or nothing; the import's own checks).
  async csv(t, a, n, seed) {
    const tally = tally0();
    const cookie = () => [...a.admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const file of fc.sample(csvFile, { numRuns: n, seed })) {
      const r = await fetch(`${t.http}/api/district/areas/import`, { method: 'POST', headers: { 'content-type': 'text/csv', cookie: cookie(), 'x-khoa-csrf': a.admin.csrf }, body: new Uint8Array(file) });
      count(tally, await classify(r));
    }
    return tally;
  },

  // Camera frames: bombs (huge declared sizes), a PNG bomb, mutated and truncated JPEGs, garbage.
  async images(t, a, n, seed) {
    const tally = tally0();
    const good = await goodJpeg(320, 240);
    const png = pngBomb(20_000, 20_000);
    const image = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 65_535 }), fc.integer({ min: 1, max: 65_535 })).map(([w, h]) => ({ kind: 'claims' as const, w, h })),
      fc.constant({ kind: 'png' as const }),
      fc.tuple(fc.integer({ min: 2, max: good.length - 1 })).map(([cut]) => ({ kind: 'truncated' as const, cut })),
      fc.array(fc.tuple(fc.integer({ min: 2, max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }).map((flips) => ({ kind: 'flipped' as const, flips })),
      bytes.map((b) => ({ kind: 'garbage' as const, b })),
    );
    const done = async () => (await counter(t.hub, 'khoa_pipeline_frames_total')) + (await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame' }));
    let seq = 0;
    for (const spec of fc.sample(image, { numRuns: n, seed })) {
      let jpeg: Buffer;
      if (spec.kind === 'claims') jpeg = await jpegClaiming(spec.w, spec.h);
      else if (spec.kind === 'png') jpeg = png;
      else if (spec.kind === 'truncated') jpeg = good.subarray(0, spec.cut);
      else if (spec.kind === 'flipped') {
        jpeg = Buffer.from(good);
        for (const [at, v] of spec.flips) jpeg[at] = v;
      } else jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(spec.b)]);
      const rejected0 = await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame' });
      const before = await done();
      await a.device.publishAsync(topics.camFrame(a.ref, 'fuzz'), encodeFrame({ seq: seq++, ts: Date.now(), width: 640, height: 480, keyframe: true, motion: true }, jpeg), { qos: 1 });
      // Refused at ingest, refused by the worker, or analysed: each moves one of the counters.
      const ok = await waitFor(async () => (await done()) > before, 60_000, 'frame handled').then(() => true, () => false);
      if (!ok) tally.crashes++;
      else if ((await counter(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame' })) > rejected0) tally.refusedWithCodedError++;
      else tally.accepted++;
    }
    return tally;
  },
};
