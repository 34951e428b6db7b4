import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { advisoryCommand } from './advisory-command.ts';
import { startRig } from './test-support/rig.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const advisory = { transaction: 'a1', advisoryId: 'adv-7', title: 'Phòng chống trộm cắp', body: 'Khóa cửa, tắt bếp trước khi ra khỏi nhà.', lang: 'vi' };

describe('advisory command', () => {
  it('plays an advisory through a local program and says so in the reply', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-adv-')), 'spoken.txt');
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>require('fs').writeFileSync(${JSON.stringify(out)}, process.env.KHOA_ADVISORY_ID+'|'+s))`;
    const r = await startRig(cleanups, { hooks: { onAdvisory: advisoryCommand([process.execPath, '-e', script]) } });
    expect(await r.send('advisory', advisory)).toMatchObject({ transaction: 'a1', ok: true, state: { delivered: true } });
    expect(fs.readFileSync(out, 'utf8')).toBe(`adv-7|${advisory.title}\n\n${advisory.body}\n`);
  });

  it('replies ok:false when the program fails or cannot be found', async () => {
    const failing = await startRig(cleanups, { hooks: { onAdvisory: advisoryCommand([process.execPath, '-e', 'process.exit(3)']) } });
    expect(await failing.send('advisory', advisory)).toMatchObject({ ok: false, error: expect.stringMatching(/exited with 3/) });
    await failing.agent.stop();
    const missing = await startRig(cleanups, { hooks: { onAdvisory: advisoryCommand(['/nonexistent/speaker']) } });
    expect(await missing.send('advisory', { ...advisory, transaction: 'a2' })).toMatchObject({ ok: false, error: expect.stringMatching(/ENOENT/) });
  });

  it('kills a program that hangs', async () => {
    const play = advisoryCommand([process.execPath, '-e', 'setTimeout(()=>{}, 60000)'], 200);
    await expect(play(advisory)).rejects.toThrow(/exited with SIGKILL/);
  });
});
