import type { AgentConfig } from '@khoa/protocol';
import type { BundleFile } from './bundle-dir.ts';
import { firstBootFiles } from './first-boot.ts';
import { agentReadme } from './readme.ts';
import { agentHealthUnits, agentUnit, AGENT_UNIT_NAME, groupsFor } from './systemd-unit.ts';

export interface AgentDirOptions {
  /** The installer's SSH public keys (parseSshPublicKeys); the Pi's only way in. */
  sshKeys: string[];
}

/**
 * Everything an installer copies onto a Pi's boot partition for one agent:
 *
 *   user-data, meta-data          cloud-init first boot (no secret)
 *   README.txt                    steps for the installer, Vietnamese then English
 *   khoa/agent.json               the config with the device password (0600)
 *   khoa/ca.pem                   the hub's CA, when it has a private one
 *   khoa/khoa-agent.service       systemd unit, and the health check timer + service
 */
export function agentBundleFiles(config: AgentConfig, o: AgentDirOptions): BundleFile[] {
  const groups = groupsFor(config);
  const health = agentHealthUnits();
  const boot = firstBootFiles({ deviceId: config.deviceId, householdId: config.householdId, sshKeys: o.sshKeys, dataDir: config.dataDir, hasCa: Boolean(config.mqtt.ca) });
  const files: BundleFile[] = [
    { path: 'user-data', content: boot.userData, mode: 0o644 },
    { path: 'meta-data', content: boot.metaData, mode: 0o644 },
    { path: 'README.txt', content: agentReadme(config), mode: 0o644 },
    { path: 'khoa/agent.json', content: `${JSON.stringify(config, null, 2)}\n`, mode: 0o600 },
    { path: `khoa/${AGENT_UNIT_NAME}`, content: agentUnit({ householdId: config.householdId, deviceId: config.deviceId, dataDir: config.dataDir, groups }), mode: 0o644 },
    { path: 'khoa/khoa-agent-health.service', content: health.service, mode: 0o644 },
    { path: 'khoa/khoa-agent-health.timer', content: health.timer, mode: 0o644 },
  ];
  if (config.mqtt.ca) files.push({ path: 'khoa/ca.pem', content: config.mqtt.ca, mode: 0o644 });
  return files;
}
