import os from 'node:os';
import { registerValidator, type AgentConfig, type Register, type RegisteredCamera } from '@khoa/protocol';
import type { CameraProvider } from './cameras.ts';
import type { Logger } from './log.ts';

export const AGENT_VERSION = '0.1.0';

/**
 * The `…/register` payload: the agent's locks from its config and the cameras its providers
 * know now. Checked against the protocol schema before it is sent: a camera entry that the hub
 * would refuse (e.g. one carrying a URL) is left out and logged rather than sinking the whole
 * registration.
 */
export function buildRegistration(config: AgentConfig, providers: readonly CameraProvider[], now: number, log: Logger): Register {
  const cameras: RegisteredCamera[] = [];
  for (const p of providers) {
    let list: RegisteredCamera[] = [];
    try {
      list = p.cameras();
    } catch (err) {
      log.error({ err }, 'camera provider failed to list cameras');
    }
    for (const cam of list) {
      const probe = registerValidator.check({ agentVersion: AGENT_VERSION, ts: now, locks: [], cameras: [cam] });
      if (probe.ok) cameras.push(cam);
      else log.error({ cameraId: (cam as { id?: unknown }).id, error: probe.error.message }, 'camera left out of registration');
    }
  }
  return {
    agentVersion: AGENT_VERSION,
    platform: `${os.platform()}-${os.arch()}`,
    ts: now,
    locks: config.locks.map((l) => ({ id: l.id, kind: l.kind, driver: l.driver, ...(l.name ? { name: l.name } : {}) })),
    cameras: cameras.slice(0, 32),
  };
}
