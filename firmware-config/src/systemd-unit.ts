import { KhoaError, type AgentConfig } from '@khoa/protocol';

/** Where the first-boot script unpacks the agent and puts its config on the Pi. */
export const AGENT_INSTALL_DIR = '/opt/khoa/agent';
export const AGENT_CONFIG_PATH = '/etc/khoa/agent.json';
/** The unprivileged account the agent runs as (made by the first-boot files). */
export const AGENT_USER = 'khoa';
/** The agent's Prometheus endpoint on loopback; the health timer probes it. */
export const AGENT_METRICS_PORT = 9464;
export const AGENT_UNIT_NAME = 'khoa-agent.service';

export interface AgentUnitOptions {
  householdId: string;
  deviceId: string;
  /** The agent's state directory (AgentConfig.dataDir); the only path it may write. */
  dataDir: string;
  /** Supplementary groups, only those the configured drivers need (see groupsFor). */
  groups: string[];
  nodePath?: string | undefined;
  metricsPort?: number | undefined;
}

/**
 * Groups the agent needs for its locks and cameras: `gpio` only when a lock uses the gpio
 * driver (Raspberry Pi OS gives /dev/gpiochip* to that group); `video` only when a camera is a
 * local V4L2 device. Network cameras and MQTT drivers need none, so most agents get none.
 */
export function groupsFor(config: AgentConfig): string[] {
  const groups: string[] = [];
  if (config.locks.some((l) => l.driver === 'gpio')) groups.push('gpio');
  const localCamera = (config.cameras ?? []).some((c) => {
    const url = (c as { url?: unknown } | null)?.url;
    return typeof url === 'string' && url.startsWith('/dev/video');
  });
  if (localCamera) groups.push('video');
  return groups;
}

function checkPath(p: string, what: string): void {
  // A unit file line ends at a newline and splits on spaces; such a path would change the unit.
  if (!p.startsWith('/') || /[\s"'\\%$;]/.test(p)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${what} ${JSON.stringify(p)} must be an absolute path without spaces or quotes`, { field: what });
}

/**
 * The agent's systemd unit.
 *
 * Type=simple, no WatchdogSec: the agent does not call sd_notify (no READY=1, no WATCHDOG=1),
 * and a WatchdogSec without pings would kill a healthy agent every period. Liveness is instead
 * covered by (1) Restart=on-failure for crashes and exits, with a start limit so a broken
 * config does not loop forever, (2) the health timer (agentHealthUnits) that restarts the
 * agent when its metrics endpoint stops answering, which is what a blocked event loop looks
 * like, and (3) the hub's agent-offline alert, fed by the MQTT Last Will, for everything else
 * (power, network, a Pi that hangs).
 */
export function agentUnit(o: AgentUnitOptions): string {
  checkPath(o.dataDir, 'dataDir');
  const node = o.nodePath ?? '/usr/bin/node';
  checkPath(node, 'nodePath');
  const port = o.metricsPort ?? AGENT_METRICS_PORT;
  for (const g of o.groups) if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(g)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `group ${JSON.stringify(g)}`, { field: 'groups' });
  // StateDirectory makes the directory (owned by the service user, 0700) on every start; it
  // only works under /var/lib, so another data dir must already exist (first-boot makes it).
  const stateDir = o.dataDir.startsWith('/var/lib/') ? o.dataDir.slice('/var/lib/'.length) : null;
  const lines = [
    '# Written by `khoa provision agent`; changes are lost on re-provisioning.',
    '[Unit]',
    `Description=Khoa edge agent (household ${o.householdId}, device ${o.deviceId})`,
    'Wants=network-online.target',
    'After=network-online.target time-sync.target',
    // Five failed starts within ten minutes stop the retries: the cause is then a config or
    // install problem for a human, and the hub's agent-offline alert tells the commune.
    'StartLimitIntervalSec=10min',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=simple',
    `User=${AGENT_USER}`,
    `Group=${AGENT_USER}`,
    ...(o.groups.length ? [`SupplementaryGroups=${o.groups.join(' ')}`] : []),
    `ExecStart=${node} ${AGENT_INSTALL_DIR}/edge-agent/bin/khoa-agent.js --config ${AGENT_CONFIG_PATH} --metrics-port ${port}`,
    'Environment=NODE_ENV=production',
    'Restart=on-failure',
    'RestartSec=10s',
    // The agent publishes offline and flushes its queue on SIGTERM; give it time to.
    'TimeoutStopSec=20s',
    ...(stateDir ? [`StateDirectory=${stateDir}`, 'StateDirectoryMode=0700'] : []),
    `ReadWritePaths=${o.dataDir}`,
    'UMask=0077',
    '',
    '# Hardening: the agent needs the network, its data dir and (for gpio locks) /dev/gpiochip*.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    // gpio and V4L2 devices live in /dev; PrivateDevices would hide them.
    ...(o.groups.length ? [] : ['PrivateDevices=yes']),
    'CapabilityBoundingSet=',
    'AmbientCapabilities=',
    // The gpio driver exports pins by writing /sys/class/gpio, which ProtectKernelTunables
    // would make read-only; without gpio locks /sys stays read-only.
    ...(o.groups.includes('gpio') ? [] : ['ProtectKernelTunables=yes']),
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectProc=invisible',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    // AF_NETLINK: Node reads the interface list (ONVIF discovery) through getifaddrs.
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    // EPERM rather than a kill: libuv tries io_uring (outside @system-service) and falls back
    // to its thread pool when refused.
    'SystemCallErrorNumber=EPERM',
    // Not MemoryDenyWriteExecute: V8's JIT needs writable-executable pages.
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/**
 * A timer and a oneshot service that restart the agent when its loopback metrics endpoint
 * does not answer within 10 s while the unit is active: the stand-in for a systemd watchdog
 * the agent cannot feed. Runs as root (it must restart a unit) but only runs curl and
 * systemctl, with the same filesystem lockdown.
 */
export function agentHealthUnits(metricsPort = AGENT_METRICS_PORT): { service: string; timer: string } {
  if (!Number.isInteger(metricsPort) || metricsPort < 1 || metricsPort > 65535) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `metrics port ${metricsPort}`, { field: 'metricsPort' });
  const probe = `curl -fsS --max-time 10 -o /dev/null http://127.0.0.1:${metricsPort}/metrics`;
  const service = [
    '# Written by `khoa provision agent`: restarts a khoa-agent that is running but not answering.',
    '[Unit]',
    'Description=Khoa edge agent health check',
    `After=${AGENT_UNIT_NAME}`,
    '',
    '[Service]',
    'Type=oneshot',
    // Skips while the agent is stopped; probes twice 30 s apart so an agent still starting
    // (metrics not up yet) is not restarted; restarts only one that stays silent.
    `ExecStart=/bin/sh -c 'systemctl is-active --quiet ${AGENT_UNIT_NAME} || exit 0; ${probe} || { sleep 30; ${probe}; } || systemctl restart ${AGENT_UNIT_NAME}'`,
    'TimeoutStartSec=2min',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    '',
  ].join('\n');
  const timer = [
    '# Written by `khoa provision agent`.',
    '[Unit]',
    'Description=Khoa edge agent health check every two minutes',
    '',
    '[Timer]',
    // Starts late enough after boot for the agent to be up (Node + tsx start in ~20 s on a Pi 3).
    'OnBootSec=5min',
    'OnUnitActiveSec=2min',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}
