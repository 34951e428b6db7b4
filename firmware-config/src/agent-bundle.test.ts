import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentConfigValidator, isKhoaError } from '@khoa/protocol';
import { createAgentConfig, newAgentId, newDevicePassword, parseLockSpec, writeAgentConfig } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'khoa-fc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent config bundle', () => {
  it('makes a config the shared schema accepts', () => {
    const config = createAgentConfig({ householdId: 'hh-1', deviceId: newAgentId(), password: newDevicePassword(), hubUrl: 'mqtts://hub.local:8883', locks: [parseLockSpec('front:lock_with_door:simulator')] });
    expect(agentConfigValidator.check(config).ok).toBe(true);
    expect(config.locks).toEqual([{ id: 'front', kind: 'lock_with_door', driver: 'simulator' }]);
    expect(config.dataDir).toBe('/var/lib/khoa');
  });

  it('makes long random passwords that differ', () => {
    const a = newDevicePassword();
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(a).not.toBe(newDevicePassword());
  });

  it('refuses a bad hub URL, a bad lock kind and a malformed lock spec', () => {
    const base = { householdId: 'hh-1', deviceId: 'agent-1', password: newDevicePassword() };
    expect(() => createAgentConfig({ ...base, hubUrl: 'http://hub' })).toThrow(/mqtt\/url/);
    expect(() => createAgentConfig({ ...base, hubUrl: 'mqtt://hub:1884', locks: [parseLockSpec('front:rocket:simulator')] })).toThrow(/kind/);
    expect(() => parseLockSpec('front')).toThrow(/id:kind:driver/);
  });

  it('writes the file 0600 and never overwrites one', async () => {
    const file = join(dir, 'agent.json');
    const config = createAgentConfig({ householdId: 'hh-1', deviceId: 'agent-1', password: newDevicePassword(), hubUrl: 'mqtt://127.0.0.1:1884' });
    await writeAgentConfig(file, config);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(config);
    await expect(writeAgentConfig(file, config)).rejects.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_CONFIG_FILE'));
  });
});
