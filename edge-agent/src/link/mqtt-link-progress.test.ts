import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createAgentMetrics } from '../metrics.ts';
import { startTestBroker, type TestBroker } from '../test-support/broker.ts';
import { MqttLink } from './mqtt-link.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A link whose reconnect attempts are read from its own debug log ("reconnecting", attempt n). */
function linkTo(b: TestBroker) {
  const attempts: number[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) {
        if (!l) continue;
        const rec = JSON.parse(l) as { msg?: string; attempt?: number };
        if (rec.msg === 'reconnecting' && rec.attempt !== undefined) attempts.push(rec.attempt);
      }
      cb();
    },
  });
  const link = new MqttLink({
    url: b.url,
    deviceId: 'agent-1',
    password: 'pw',
    statusTopic: 'khoa/v1/hh-1/agent-1/status',
    cmdFilter: 'khoa/v1/hh-1/agent-1/cmd/#',
    backoff: { minMs: 10, maxMs: 5000, random: () => 0.5 },
    stableMs: 60_000,
    connectTimeoutMs: 2000,
    keepaliveS: 30,
    log: pino({ level: 'debug' }, sink),
    metrics: createAgentMetrics(),
  });
  cleanups.push(() => link.stop());
  return { link, attempts };
}

const up = (link: MqttLink) => new Promise<void>((r) => link.once('up', () => r()));
const down = (link: MqttLink) => new Promise<void>((r) => link.once('down', () => r()));

/** Cuts the connection `times` times; before each cut, `useful` decides whether an event got its PUBACK. */
async function flap(b: TestBroker, link: MqttLink, times: number, useful: boolean): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (!link.connected) await up(link);
    if (useful) {
      await new Promise<void>((resolve, reject) => link.publish('khoa/v1/hh-1/agent-1/lock/front/event', '{}', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      link.noteProgress();
    }
    const gone = down(link);
    b.dropClient('agent-1');
    await gone;
  }
}

describe('reconnect backoff on a flapping link', () => {
  it('grows over short connections that got nothing through, and starts again from the minimum after one that did', async () => {
    const b = await startTestBroker();
    cleanups.push(() => b.kill());
    const { link, attempts } = linkTo(b);
    link.start();
    await flap(b, link, 4, false);
    // Nothing acknowledged: each short connection counts as one more failure.
    expect(attempts).toEqual([1, 2, 3, 4]);
    await flap(b, link, 3, true);
    // Each of these carried an event to the hub: the next try is the first of a new series.
    expect(attempts.slice(4)).toEqual([1, 1, 1]);
  });
});
