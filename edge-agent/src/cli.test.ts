import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, testConfig } from './test-support/agent-fixture.ts';
import { observe, startTestBroker } from './test-support/broker.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/khoa-agent.js');
const PREFIX = 'khoa/v1/hh-1/agent-1';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, exited, out: () => out, err: () => err };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function writeConfig(config: object): string {
  const dir = fs.mkdtempSync(path.join((config as { dataDir: string }).dataDir, 'cfg-'));
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

describe('khoa-agent command', () => {
  it('runs from a config file, registers, and goes offline cleanly on SIGTERM', async () => {
    const broker = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
    cleanups.push(() => broker.kill().catch(() => {}));
    const hub = await observe(broker.url, [`${PREFIX}/#`]);
    cleanups.push(() => hub.close());
    const file = writeConfig(testConfig(broker.url));
    const metricsPort = await freePort();
    const p = run(['--config', file, '--log-level', 'warn', '--metrics-port', String(metricsPort)]);
    await hub.waitFor((m) => m.topic === `${PREFIX}/register`, 20_000);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^khoa_agent_mqtt_connected 1$/m);
    expect(text).toMatch(/^khoa_agent_queue_depth 0$/m);
    expect(text).toContain('khoa_agent_process_cpu_seconds_total');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await hub.waitFor((m) => m.topic === `${PREFIX}/status` && m.payload.toString() === 'offline');
    expect(p.out()).not.toContain(PASSWORD);
  });

  it('exits 1 with a coded error naming the field for an invalid config, without echoing the password', async () => {
    const config = { ...testConfig('mqtt://127.0.0.1:1'), locks: [{ id: 'Front Door', kind: 'lock', driver: 'simulator' }] };
    const p = run(['--config', writeConfig(config)]);
    expect(await p.exited).toBe(1);
    expect(p.err()).toMatch(/KHOA_ERR_CONFIG_INVALID/);
    expect(p.err()).toMatch(/locks\/0\/id/);
    expect(p.err() + p.out()).not.toContain(PASSWORD);
  });

  it('exits 1 for a missing file and 2 without --config', async () => {
    const missing = run(['--config', '/nonexistent/agent.json']);
    const none = run([]);
    expect(await missing.exited).toBe(1);
    expect(missing.err()).toMatch(/KHOA_ERR_CONFIG_FILE/);
    expect(await none.exited).toBe(2);
  });
});
