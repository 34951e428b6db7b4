import { stringify } from 'yaml';
import { isValidId, KhoaError } from '@khoa/protocol';
import { AGENT_CONFIG_PATH, AGENT_INSTALL_DIR, AGENT_UNIT_NAME, AGENT_USER } from './systemd-unit.ts';

/**
 * Raspberry Pi OS first-boot files, as cloud-init NoCloud `user-data` + `meta-data` on the
 * boot partition.
 *
 * Why cloud-init and not Imager's `firstrun.sh`: Raspberry Pi OS images since the Trixie
 * release read cloud-init from the boot partition, and the agent needs Node.js >= 20.6,
 * which Trixie's apt has (20.x) and Bookworm's (18.x) has not; a Bookworm image would need
 * Node from elsewhere anyway. user-data is declarative YAML we can parse and check in tests,
 * and cloud-init runs it once per instance. Ubuntu Server for the Pi reads the same files.
 */

/** The installer's login on the Pi: SSH key only, sudo without a password (it has none). */
export const ADMIN_USER = 'khoa-admin';
/** Where the bundle's agent files sit on a booted Pi (the FAT boot partition). */
export const BOOT_BUNDLE_DIR = '/boot/firmware/khoa';
/**
 * The agent software the installer adds to the bundle (see README.txt): an archive of the
 * repository's release, e.g. `git archive --format=tar.gz -o khoa-agent.tgz <tag>`, unpacked
 * into AGENT_INSTALL_DIR; with node_modules inside it installs offline, without them it needs npm.
 */
export const AGENT_TARBALL = 'khoa-agent.tgz';

export interface FirstBootOptions {
  deviceId: string;
  householdId: string;
  sshKeys: string[];
  dataDir: string;
  /** Whether the bundle holds ca.pem (installed to /etc/khoa/ca.pem for tools like mosquitto_sub). */
  hasCa: boolean;
}

/**
 * The script cloud-init runs once: installs the agent from the boot partition, moves the
 * config (it holds the device password) off the FAT partition, which every local user can
 * read, and enables the service. `set -eu`: any failure stops it and shows in
 * /var/log/cloud-init-output.log rather than leaving a half-installed agent running.
 */
function installScript(o: FirstBootOptions): string {
  return [
    '#!/bin/sh',
    '# Installs the Khoa edge agent from the boot partition (run once by cloud-init).',
    'set -eu',
    `SRC=${BOOT_BUNDLE_DIR}`,
    `node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=6)?0:1)' || { echo "khoa: Node.js >= 20.6 is needed" >&2; exit 1; }`,
    `test -f "$SRC/${AGENT_TARBALL}" || { echo "khoa: $SRC/${AGENT_TARBALL} is missing (see README.txt)" >&2; exit 1; }`,
    `install -d -m 0755 ${AGENT_INSTALL_DIR}`,
    `tar -xzf "$SRC/${AGENT_TARBALL}" -C ${AGENT_INSTALL_DIR} --no-same-owner`,
    // A source archive of the repository (git archive) has no node_modules: install the
    // agent's and protocol's production dependencies here, for this Pi's CPU (sharp and
    // ffmpeg come as per-platform packages).
    `if [ ! -d ${AGENT_INSTALL_DIR}/node_modules ]; then (cd ${AGENT_INSTALL_DIR} && npm ci --omit=dev --no-audit --no-fund -w edge-agent -w protocol); fi`,
    // The agent reads its config as khoa; only root may change it.
    `install -d -m 0750 -o root -g ${AGENT_USER} /etc/khoa`,
    `install -m 0640 -o root -g ${AGENT_USER} "$SRC/agent.json" ${AGENT_CONFIG_PATH}`,
    ...(o.hasCa ? [`install -m 0644 "$SRC/ca.pem" /etc/khoa/ca.pem`] : []),
    'rm -f "$SRC/agent.json"',
    `install -d -m 0700 -o ${AGENT_USER} -g ${AGENT_USER} ${o.dataDir}`,
    `install -m 0644 "$SRC/${AGENT_UNIT_NAME}" "$SRC/khoa-agent-health.service" "$SRC/khoa-agent-health.timer" /etc/systemd/system/`,
    'systemctl daemon-reload',
    `systemctl enable --now ssh ${AGENT_UNIT_NAME} khoa-agent-health.timer`,
    '',
  ].join('\n');
}

/** `user-data` (#cloud-config) and `meta-data` for one agent's Pi. Holds no secret. */
export function firstBootFiles(o: FirstBootOptions): { userData: string; metaData: string } {
  if (!isValidId(o.deviceId) || !isValidId(o.householdId)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'device and household ids must be ids', { field: 'deviceId' });
  if (o.sshKeys.length === 0) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'an SSH public key is required: the Pi has no password login', { option: 'ssh-key' });
  // Hostnames allow letters, digits and '-' only (RFC 1123); ids may also hold '_'.
  const hostname = `khoa-${o.deviceId.replace(/_/g, '-')}`.slice(0, 63).replace(/-+$/, '');
  const config = {
    hostname,
    manage_etc_hosts: true,
    timezone: 'Asia/Ho_Chi_Minh',
    // No default user (Raspberry Pi OS would otherwise make one), no password SSH, no root.
    ssh_pwauth: false,
    disable_root: true,
    users: [
      {
        name: ADMIN_USER,
        gecos: 'Khoa installer',
        groups: ['sudo', 'adm'],
        shell: '/bin/bash',
        lock_passwd: true,
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        ssh_authorized_keys: o.sshKeys,
      },
      { name: AGENT_USER, system: true, shell: '/usr/sbin/nologin', lock_passwd: true, no_create_home: true },
    ],
    package_update: true,
    packages: ['nodejs', 'npm', 'curl'],
    write_files: [
      {
        // Belt and braces to ssh_pwauth: also refuses keyboard-interactive and root logins.
        path: '/etc/ssh/sshd_config.d/10-khoa.conf',
        permissions: '0644',
        content: 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\nAuthenticationMethods publickey\n',
      },
      { path: '/usr/local/sbin/khoa-install', permissions: '0700', content: installScript(o) },
    ],
    runcmd: [['/usr/local/sbin/khoa-install']],
  };
  const userData = `#cloud-config\n# Khoa edge agent ${o.deviceId} (household ${o.householdId}), written by \`khoa provision agent\`.\n# SSH key login only; no password is set for any account.\n${stringify(config, { lineWidth: 0 })}`;
  const metaData = `instance-id: khoa-${o.deviceId}\nlocal-hostname: ${hostname}\n`;
  return { userData, metaData };
}
