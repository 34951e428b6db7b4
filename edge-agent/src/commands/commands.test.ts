import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandPayloads } from '@khoa/protocol';
import { startAgent } from '../agent.ts';
import { FAST, quietLog } from '../test-support/agent-fixture.ts';
import { until } from '../test-support/broker.ts';
import { PREFIX, startRig } from '../test-support/rig.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let tx = 0;
const t = () => `t${++tx}`;
const rig = (opts: Parameters<typeof startRig>[1] = {}) => startRig(cleanups, opts);

describe('commands', () => {
  it('arms and disarms, echoing the transaction, and keeps the armed state across a restart', async () => {
    const r = await rig();
    const id = t();
    expect(await r.send('arm', { transaction: id, mode: 'home' })).toEqual({ transaction: id, ok: true, state: { armed: true, mode: 'home' } });
    expect(r.agent.state()).toMatchObject({ armed: true, mode: 'home' });
    await r.agent.stop();
    const again = await startAgent(r.config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => again.stop());
    expect(again.state().armed).toBe(true);
    await again.whenConnected();
    const id2 = t();
    expect(await r.send('disarm', { transaction: id2 })).toMatchObject({ transaction: id2, ok: true, state: { armed: false } });
    expect(again.state().armed).toBe(false);
  });

  it('refuses bad payloads with ok:false, counts them, and keeps serving', async () => {
    const r = await rig();
    const id = t();
    const wrongType = await r.send('arm', { transaction: id, mode: 'party' });
    expect(wrongType).toMatchObject({ transaction: id, ok: false });
    expect(String(wrongType.error)).toMatch(/mode/);
    const garbage = await r.send('disarm', '{not json');
    expect(garbage).toMatchObject({ transaction: 'unknown', ok: false });
    const binary = await r.send('config', Buffer.from([0xff, 0xfe, 0x00]).toString('latin1'));
    expect(binary.ok).toBe(false);
    const big = await r.send('advisory', JSON.stringify({ transaction: 'x', pad: 'a'.repeat(20_000) }));
    expect(big).toMatchObject({ ok: false });
    const rejected = (await r.agent.metrics.commandsRejected.get()).values.reduce((n, v) => n + v.value, 0);
    expect(rejected).toBe(4);
    const id2 = t();
    expect(await r.send('arm', { transaction: id2 })).toMatchObject({ transaction: id2, ok: true });
  });

  it('receives a QoS 1 command sent while it was offline (persistent session)', async () => {
    const r = await rig();
    await r.agent.stop();
    await r.hub.client.publishAsync(`${PREFIX}/cmd/arm`, JSON.stringify({ transaction: 'while-away' }), { qos: 1 });
    const back = await startAgent(r.config, { log: quietLog(), tuning: FAST });
    cleanups.push(() => back.stop());
    const reply = await r.hub.waitFor((m) => m.topic === `${PREFIX}/reply/arm`);
    expect(JSON.parse(reply.payload.toString())).toMatchObject({ transaction: 'while-away', ok: true });
    expect(back.state().armed).toBe(true);
  });

  it('hands advisories to the hook, and refuses expired ones', async () => {
    const got: CommandPayloads['advisory'][] = [];
    const r = await rig({ hooks: { onAdvisory: (a) => void got.push(a) } });
    const id = t();
    const adv = { transaction: id, advisoryId: 'a1', title: 'Cảnh giác', body: 'Khóa cửa trước khi ngủ.', lang: 'vi' };
    expect(await r.send('advisory', adv)).toMatchObject({ ok: true, state: { advisoryId: 'a1', delivered: true } });
    expect(got).toEqual([adv]);
    expect(await r.send('advisory', { ...adv, transaction: t(), expiresAt: '2001-01-01T00:00:00Z' })).toMatchObject({ ok: false, error: 'advisory has expired' });
  });

  it('refuses reboot without a configured command, and runs it (after replying) when there is one', async () => {
    const plain = await rig();
    expect(await plain.send('reboot', { transaction: t() })).toMatchObject({ ok: false });
    await plain.agent.stop();
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-reboot-')), 'rebooted');
    const r = await rig({ hooks: { rebootCommand: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`] } });
    expect(await r.send('reboot', { transaction: t() })).toMatchObject({ ok: true, state: { rebooting: true } });
    await until(() => fs.existsSync(marker), 5000, 'reboot command to run');
  });

  it('applies the runtime settings it knows and refuses others', async () => {
    const r = await rig();
    expect(await r.send('config', { transaction: t(), settings: { heartbeatIntervalS: 5, logLevel: 'warn' } })).toMatchObject({ ok: true });
    expect(r.agent.log.level).toBe('warn');
    const bad = await r.send('config', { transaction: t(), settings: { password: 'x' } });
    expect(bad).toMatchObject({ ok: false });
  });
});

