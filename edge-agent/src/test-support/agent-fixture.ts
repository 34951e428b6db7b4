import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@khoa/protocol';
import type { AgentTuning } from '../agent.ts';
import { createLogger } from '../log.ts';

export const PASSWORD = 'test-password-0123456789';

/** A config for a test agent in a fresh temp data dir. */
export function testConfig(url: string, over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    version: 1,
    deviceId: 'agent-1',
    householdId: 'hh-1',
    password: PASSWORD,
    mqtt: { url },
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-agent-')),
    locks: [{ id: 'front', kind: 'lock_with_door', driver: 'simulator' }],
    ...over,
  };
}

/** Short timers so a suite with reconnects runs in seconds. */
export const FAST: Partial<AgentTuning> = {
  heartbeatIntervalMs: 60_000,
  reconnectMinMs: 20,
  reconnectMaxMs: 200,
  reconnectStableMs: 100,
  connectTimeoutMs: 1000,
  keepaliveS: 5,
  queueCursorFlushMs: 20,
  queueFsync: 'never',
  random: () => 0.5,
};

export const quietLog = () => createLogger((process.env.KHOA_TEST_LOG as 'debug' | undefined) ?? 'silent');
