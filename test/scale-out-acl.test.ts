import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '@khoa/protocol';
import { tempDir } from '../hub/src/testing/databases.ts';

/**
 * dashboards/mosquitto/acl.example on a private, real Mosquitto (the machine's binary, a port of
 * its own, the example ACL file as shipped): what a device may write and read, and that the hub
 * user gets the events, the shared frame subscription and the command topics.
 */
const acl = fileURLToPath(new URL('../dashboards/mosquitto/acl.example', import.meta.url));
const haveMosquitto = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe.skipIf(!haveMosquitto)('Mosquitto ACL example', () => {
  let dir: string;
  let broker: ChildProcess;
  let url: string;
  const clients: MqttClient[] = [];
  const own = { householdId: 'hh-1', deviceId: 'dev-1' };

  beforeAll(async () => {
    dir = tempDir('khoa-acl-');
    // Mosquitto started as root drops to its own user, which must be able to read these.
    chmodSync(dir, 0o755);
    const passwd = join(dir, 'passwd');
    execFileSync('mosquitto_passwd', ['-b', '-c', passwd, 'khoa-hub', 'hub-pw']);
    execFileSync('mosquitto_passwd', ['-b', passwd, 'dev-1', 'dev-pw']);
    chmodSync(passwd, 0o644);
    const port = await freePort();
    writeFileSync(join(dir, 'conf'), `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwd}\nacl_file ${acl}\npersistence false\n`);
    broker = spawn(haveMosquitto!, ['-c', join(dir, 'conf')], { stdio: 'ignore' });
    url = `mqtt://127.0.0.1:${port}`;
    const until = Date.now() + 5000;
    for (;;) {
      try {
        clients.push(await mqtt.connectAsync(url, { protocolVersion: 5, username: 'khoa-hub', password: 'hub-pw', clientId: 'hub', reconnectPeriod: 0 }));
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 15_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    broker?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a device write only under its own id and hubs read events, shared frames and write commands', async () => {
    const hub = clients[0]!;
    const got: string[] = [];
    hub.on('message', (t) => got.push(t));
    const filters = topics.hubFilters('khoa-hubs');
    const granted = await hub.subscribeAsync([...filters.events, filters.frames], { qos: 1 });
    expect(granted.map((g) => g.qos).every((q) => q <= 2)).toBe(true);

    const dev = await mqtt.connectAsync(url, { protocolVersion: 5, username: 'dev-1', password: 'dev-pw', clientId: 'dev-1', reconnectPeriod: 0 });
    clients.push(dev);
    const cmds: string[] = [];
    dev.on('message', (t) => cmds.push(t));
    await dev.subscribeAsync(topics.cmdFilter(own), { qos: 1 });

    const allowed = [topics.lockEvent(own, 'front'), topics.status(own), topics.camFrame(own, 'cam1'), topics.reply(own, 'arm')];
    const refused = [
      topics.lockEvent({ ...own, deviceId: 'dev-2' }, 'front'), // another device's id
      topics.cmd(own, 'arm'), // devices never command
    ];
    for (const t of [...refused, ...allowed]) await dev.publishAsync(t, '{}', { qos: 1 }).catch(() => {});
    await hub.publishAsync(topics.cmd(own, 'arm'), '{}', { qos: 1 });
    const until = Date.now() + 3000;
    while ((got.length < allowed.length || cmds.length < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));

    expect(got.sort()).toEqual([...allowed].sort());
    expect(cmds).toEqual([topics.cmd(own, 'arm')]);
  }, 15_000);
});
