import { connect, type Socket } from 'node:net';
import { metricValue } from '@khoa/hub/testing';
import { ApiClient, startConsoleFixture } from '../console-fixture.ts';
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { Cleanups, until } from './hub-fault-support.ts';

export interface SlowConsoleOptions {
  /** Alerts raised while the slow client sits on its stream. */
  alerts?: number;
  /** Size of each alert's detail text, to make the flood heavy in bytes rather than in count. */
  detailBytes?: number;
  progress?: (line: string) => void;
}

/**
 * Issue 9, "slow console client": one police console opens the live alert stream over a raw
 * socket and then stops reading (paused: the kernel's buffers fill, then the hub's), while a
 * flood of alerts is raised. The hub must hold a bounded number of unsent bytes for it (it is
 * dropped past a cap, counted in khoa_console_streams_dropped_total), and another console on the
 * same commune must still get every alert.
 */
export async function runSlowConsoleClient(o: SlowConsoleOptions = {}): Promise<FaultOutcome> {
  const total = o.alerts ?? 6000;
  const detail = 'Tin báo: '.padEnd(o.detailBytes ?? 2000, 'x');
  const say = o.progress ?? (() => {});
  const c = new Cleanups();
  try {
    const f = await startConsoleFixture();
    c.push(() => f.close());
    const hub = f.t.hub;
    const good = new ApiClient(f.base);
    const slow = new ApiClient(f.base);
    if (!(await good.login('police.a')).ok || !(await slow.login('police.a2')).ok) throw new Error('console login failed');
    const cookie = (a: ApiClient) => [...a.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

    // The console that keeps up: reads the stream as a browser's EventSource would.
    const received = new Map<number, number>();
    const abort = new AbortController();
    c.push(() => abort.abort());
    const res = await fetch(`${f.base}/api/alerts/stream`, { headers: { cookie: cookie(good) }, signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`good stream: ${res.status}`);
    const raisedAt = new Map<number, number>();
    let lagMaxMs = 0;
    const body = res.body.getReader();
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { value: chunk, done } = await body.read();
          if (done) break;
          buf += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const m = /^event: alert\nid: (\d+)\n/.exec(block);
            if (!m) continue;
            const id = Number(m[1]);
            received.set(id, (received.get(id) ?? 0) + 1);
            const at = raisedAt.get(id);
            if (at !== undefined) lagMaxMs = Math.max(lagMaxMs, Date.now() - at);
          }
        }
      } catch {
        // aborted at cleanup
      }
    })();

    // The console that stops reading: a raw socket, paused once the response has begun.
    const sock: Socket = connect(hub.httpPort, '127.0.0.1');
    c.push(() => sock.destroy());
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.once('connect', () => sock.write(`GET /api/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: ${cookie(slow)}\r\n\r\n`));
      sock.once('data', (d: Buffer) => {
        if (!d.toString().startsWith('HTTP/1.1 200')) reject(new Error(`slow stream: ${d.toString().slice(0, 100)}`));
        sock.pause();
        resolve();
      });
    });
    await until(async () => (await metricValue(hub, 'khoa_console_streams')) === 2, 5000);
    say(`slow-console-client: two streams open, raising ${total} alerts`);

    const rssBefore = process.memoryUsage().rss;
    let rssMax = rssBefore;
    let bufferedMax = 0;
    const ids: number[] = [];
    for (let i = 0; i < total; i++) {
      const a = await hub.raise({ kind: 'tip', householdId: 'ho-a', deviceId: null, subject: `flood-${i}`, detail });
      if (!a) throw new Error(`alert ${i} not raised`);
      ids.push(Number(a.id));
      raisedAt.set(Number(a.id), Date.now());
      // Alerts come from network input in a real hub, between socket reads; raised back to back
      // here (storage is synchronous) they would starve every socket, the reading console's too.
      await new Promise((r) => setImmediate(r));
      if (i % 100 === 99) {
        bufferedMax = Math.max(bufferedMax, await metricValue(hub, 'khoa_console_stream_buffered_bytes'));
        rssMax = Math.max(rssMax, process.memoryUsage().rss);
      }
    }
    const floodEnd = Date.now();
    say('slow-console-client: flood raised');
    const doneAt = await until(() => ids.every((id) => received.has(id)), 30_000);
    bufferedMax = Math.max(bufferedMax, await metricValue(hub, 'khoa_console_stream_buffered_bytes'));

    const stored = Number((await hub.db.kysely.selectFrom('alerts').select((e) => e.fn.countAll<number>().as('n')).where('subject', 'like', 'flood-%').executeTakeFirstOrThrow()).n);
    const got = ids.filter((id) => received.has(id)).length;
    const doubled = ids.reduce((s, id) => s + Math.max(0, (received.get(id) ?? 0) - 1), 0);
    const dropped = await metricValue(hub, 'khoa_console_streams_dropped_total', { reason: 'slow' });
    const streamsAfter = await metricValue(hub, 'khoa_console_streams');
    const mb = (b: number) => (b / 1048576).toFixed(1);
    return {
      fault: `a console stream that stops reading while ${total} alerts (${mb(total * detail.length)} MB) are raised`,
      unit: 'alerts',
      sent: total,
      stored: Math.min(stored, got),
      lost: total - Math.min(stored, got),
      doubled,
      alertsExpected: total,
      alertsRaised: got,
      recoverySeconds: doneAt === null ? null : (doneAt - floodEnd) / 1000,
      notes: `slow stream dropped ${dropped} time(s) (khoa_console_streams_dropped_total{reason="slow"}), ${streamsAfter} stream(s) open after; most unsent bytes held ${mb(bufferedMax)} MB (khoa_console_stream_buffered_bytes); hub+test process RSS grew ${mb(rssMax - rssBefore)} MB; the reading console got each alert at most ${(lagMaxMs / 1000).toFixed(2)} s after it was stored; ${stored} stored`,
    };
  } finally {
    await c.run();
  }
}

export const slowConsoleClient: FaultScenario = {
  id: 'slow-console-client',
  title: 'slow police console client (stops reading its live stream)',
  run: (opts) => runSlowConsoleClient({ progress: opts?.progress }),
};
