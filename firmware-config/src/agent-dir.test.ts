import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isKhoaError, type AgentConfig } from '@khoa/protocol';
import { agentBundleFiles, createAgentConfig, newDevicePassword, parseLockSpec, parseSshPublicKeys, writeBundle } from './index.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'khoa-fc-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A syntactically valid ed25519 public key (random bytes, not anyone's key).
const KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'A'.repeat(43)} installer@laptop`;
const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';

function config(locks: string[] = [], ca?: string): AgentConfig {
  return createAgentConfig({ householdId: 'hh-1', deviceId: 'agent-1', password: newDevicePassword(), hubUrl: 'mqtts://hub.xa.local:8883', ca, locks: locks.map(parseLockSpec) });
}

async function written(name: string, c: AgentConfig): Promise<string> {
  const out = join(dir, name);
  await writeBundle(out, agentBundleFiles(c, { sshKeys: parseSshPublicKeys(KEY) }));
  return out;
}

describe('agent SD-card bundle', () => {
  it('writes config (0600), CA, units, first-boot files and README', async () => {
    const c = config([], CA);
    const out = await written('full', c);
    expect(statSync(join(out, 'khoa/agent.json')).mode & 0o777).toBe(0o600);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(join(out, 'khoa/agent.json'), 'utf8'))).toEqual(c);
    expect(readFileSync(join(out, 'khoa/ca.pem'), 'utf8')).toBe(CA);
    for (const f of ['user-data', 'meta-data', 'README.txt', 'khoa/khoa-agent.service', 'khoa/khoa-agent-health.service', 'khoa/khoa-agent-health.timer']) {
      expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o644);
    }
    const readme = readFileSync(join(out, 'README.txt'), 'utf8');
    expect(readme).toContain('Tiếng Việt');
    expect(readme).toContain('English');
    expect(readme).not.toContain(c.password);
  });

  it('has the hardening options, restart limits and no watchdog the agent cannot feed', async () => {
    const unit = readFileSync(join(await written('unit', config()), 'khoa/khoa-agent.service'), 'utf8');
    for (const line of [
      'Type=simple',
      'Restart=on-failure',
      'StartLimitBurst=5',
      'StartLimitIntervalSec=10min',
      'User=khoa',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'CapabilityBoundingSet=',
      'ReadWritePaths=/var/lib/khoa',
      'SystemCallFilter=@system-service',
    ]) {
      expect(unit.split('\n'), line).toContain(line);
    }
    // The agent does not send sd_notify: a watchdog would kill it every period.
    expect(unit).not.toMatch(/WatchdogSec|Type=notify/);
    expect(unit).not.toMatch(/SupplementaryGroups/);
  });

  it('adds the gpio group (and /sys writes) only for a gpio lock', async () => {
    const unit = readFileSync(join(await written('gpio', config(['front:door_sensor:gpio'])), 'khoa/khoa-agent.service'), 'utf8');
    expect(unit.split('\n')).toContain('SupplementaryGroups=gpio');
    expect(unit).not.toMatch(/PrivateDevices|ProtectKernelTunables/);
  });

  it('passes systemd-analyze verify', async (ctx) => {
    const bin = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
    if (!bin) {
      ctx.skip('systemd-analyze is not installed on this machine; unit files not verified');
      return;
    }
    for (const [name, locks] of [['verify-plain', []], ['verify-gpio', ['front:door_sensor:gpio']]] as const) {
      const out = await written(name, config([...locks]));
      const units = ['khoa-agent.service', 'khoa-agent-health.service', 'khoa-agent-health.timer'].map((f) => join(out, 'khoa', f));
      // verify exits 0 on unknown keys and bad values, printing warnings: any output is a failure.
      const { stdout, stderr } = await run(bin, ['verify', ...units]);
      expect(`${stdout}${stderr}`.trim(), name).toBe('');
    }
  });

  it('first boot: SSH key only, no password, agent installed as a service', async () => {
    const c = config();
    const out = await written('boot', c);
    const text = readFileSync(join(out, 'user-data'), 'utf8');
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const ud = parse(text) as Record<string, unknown> & { users: Record<string, unknown>[]; write_files: { path: string; content: string }[]; runcmd: unknown };
    expect(ud.ssh_pwauth).toBe(false);
    const admin = ud.users[0]!;
    expect(admin.lock_passwd).toBe(true);
    expect(admin.ssh_authorized_keys).toEqual([KEY]);
    // No password of any form: not a hash, not plain, not the device's.
    expect(text).not.toMatch(/(?<!lock_)passwd:|chpasswd|plain_text|hashed_passwd/);
    for (const u of ud.users) expect(Object.keys(u).filter((k) => /passw/.test(k))).toEqual(['lock_passwd']);
    for (const u of ud.users) expect(u.lock_passwd).toBe(true);
    expect(text).not.toContain(c.password);
    const sshd = ud.write_files.find((f) => f.path.startsWith('/etc/ssh/'))!;
    expect(sshd.content).toContain('PasswordAuthentication no');
    const install = ud.write_files.find((f) => f.path === '/usr/local/sbin/khoa-install')!.content;
    expect(install).toContain('systemctl enable --now ssh khoa-agent.service khoa-agent-health.timer');
    expect(install).toContain('rm -f "$SRC/agent.json"');
    expect(ud.runcmd).toEqual([['/usr/local/sbin/khoa-install']]);
    expect(parse(readFileSync(join(out, 'meta-data'), 'utf8'))).toEqual({ 'instance-id': 'khoa-agent-1', 'local-hostname': 'khoa-agent-1' });
    // The install script is valid sh.
    await writeBundle(join(dir, 'script'), [{ path: 'khoa-install.sh', content: install, mode: 0o600 }]);
    await run('sh', ['-n', join(dir, 'script', 'khoa-install.sh')]);
  });

  it('user-data passes cloud-init schema where cloud-init is installed', async (ctx) => {
    const bin = ['/usr/bin/cloud-init', '/usr/local/bin/cloud-init'].find((p) => existsSync(p));
    if (!bin) {
      ctx.skip('cloud-init is not installed on this machine (apt-get install cloud-init); user-data checked by the YAML test only');
      return;
    }
    const out = await written('schema', config([], CA));
    const { stdout } = await run(bin, ['schema', '--config-file', join(out, 'user-data')]);
    expect(stdout).toContain('Valid cloud-config');
  });

  it('refuses a private key or junk as --ssh-key', () => {
    expect(() => parseSshPublicKeys('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n')).toThrow(/private key/);
    expect(() => parseSshPublicKeys('hello world')).toThrow(/not an SSH public key/);
    expect(() => parseSshPublicKeys('\n# only a comment\n')).toThrow(/no public key/);
  });

  it('never overwrites a bundle and leaves nothing behind when it fails', async () => {
    const c = config();
    const out = await written('twice', c);
    await expect(writeBundle(out, agentBundleFiles(c, { sshKeys: [KEY] }))).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_CONFIG_FILE'));
    expect(JSON.parse(readFileSync(join(out, 'khoa/agent.json'), 'utf8')).password).toBe(c.password);
    const fresh = join(dir, 'half');
    await expect(writeBundle(fresh, [{ path: 'a.txt', content: 'a', mode: 0o644 }, { path: '../escape', content: 'x', mode: 0o644 }])).rejects.toThrow(/bundle path/);
    expect(existsSync(fresh)).toBe(false);
  });
});
