import { readFileSync } from 'node:fs';
import { isValidId, KhoaError } from '@khoa/protocol';
import { agentBundleFiles, createAgentConfig, newAgentId, newDevicePassword, parseLockSpec, parseSshPublicKeys, removeAgentConfig, writeAgentConfig, writeBundle } from '@khoa/firmware-config';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import type { Settings } from '../../settings/schema.ts';
import { addDevice, getDevice } from '../../storage/devices.ts';
import { getHousehold } from '../../storage/households.ts';
import { hashDevicePassword } from '../../broker/credentials.ts';
import { provisionSensor, sensorUsage } from './provision-sensor.ts';

const usage = `usage: khoa provision agent --household H [--device D] [--out FILE] [--hub-url URL]
                             [--ca FILE] [--data-dir DIR] [--lock id:kind:driver ...] [--config FILE]
                             [--out-dir DIR --ssh-key FILE] [--json]

Creates an edge agent's credentials in the hub's database (a random password; only its
argon2id hash is stored) and writes the agent's config file (mode 0600, never overwritten).
Without --out the config is printed on stdout: it holds the password, shown this once.

  --household H   the household (must exist: khoa household add)
  --device D      device id (default: agent-<random>); also its MQTT username and client id
  --hub-url URL   where the agent reaches the hub (default from the hub's settings; use the
                  hub's LAN name or address and mqtts:// outside a trusted network)
  --ca FILE       PEM of a private CA that signed the hub's TLS certificate
  --lock SPEC     a lock the agent drives, e.g. front:lock_with_door:simulator (repeatable)
  --out-dir DIR   write the whole SD-card bundle (config, CA, systemd units, cloud-init
                  first-boot files, README.txt) instead of the config alone
  --ssh-key FILE  the installer's SSH public key, the Pi's only login (with --out-dir)
  --json          with --out-dir: print {deviceId, householdId, outDir, elapsedMs} on stdout`;

/** Reads a file named by an option, as a coded error when it cannot. */
function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_FILE', `--${option} ${file}: ${(err as Error).message}`, { option }, { cause: err });
  }
}

/** The URL an agent should use when the installer gives none: TLS if the hub has it. */
function defaultHubUrl(settings: Settings, warnLoopback: (url: string) => void): string {
  const any = settings.mqtt.host === '0.0.0.0' || settings.mqtt.host === '::';
  const host = any ? '127.0.0.1' : settings.mqtt.host;
  const url = settings.mqtt.tls ? `mqtts://${host}:${settings.mqtt.tls.port}` : `mqtt://${host}:${settings.mqtt.port}`;
  if (any || host === '127.0.0.1' || host === 'localhost') warnLoopback(url);
  return url;
}

export const provision: CliCommand = {
  name: 'provision',
  summary: "create an agent's or sensor's credentials and write its bundle",
  usage: `${usage}\n\n${sensorUsage}`,
  async run(argv) {
    if (argv[0] === 'sensor') return provisionSensor(argv.slice(1));
    const started = performance.now();
    const { values, positionals } = parseOptions(
      argv,
      {
        ...configOption,
        household: { type: 'string' },
        device: { type: 'string' },
        out: { type: 'string' },
        'hub-url': { type: 'string' },
        ca: { type: 'string' },
        'data-dir': { type: 'string' },
        lock: { type: 'string', multiple: true },
        'out-dir': { type: 'string' },
        'ssh-key': { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (positionals[0] !== 'agent') throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'expected "khoa provision agent"', {});
    const settings = settingsFrom(values);
    const householdId = required(values, 'household');
    const deviceId = values.device ?? newAgentId();
    if (!isValidId(deviceId)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--device ${JSON.stringify(deviceId)}: lower-case letters, digits, _ and -`, { option: 'device' });
    let ca: string | undefined;
    if (values.ca) {
      try {
        ca = readFileSync(values.ca, 'utf8');
      } catch (err) {
        throw new KhoaError('KHOA_ERR_CONFIG_FILE', `--ca ${values.ca}: ${(err as Error).message}`, { option: 'ca' }, { cause: err });
      }
    }
    const outDir = values['out-dir'];
    if (outDir && values.out) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--out and --out-dir exclude each other', { option: 'out-dir' });
    if (outDir && !values['ssh-key']) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--out-dir needs --ssh-key: the Pi has no password login', { option: 'ssh-key' });
    const sshKeys = values['ssh-key'] ? parseSshPublicKeys(readText(values['ssh-key'], 'ssh-key'), values['ssh-key']) : [];
    const password = newDevicePassword();
    const config = createAgentConfig({
      householdId,
      deviceId,
      password,
      hubUrl: values['hub-url'] ?? defaultHubUrl(settings, (url) => console.error(`no --hub-url: the agent will use ${url}, which only works on this machine`)),
      ca,
      dataDir: values['data-dir'],
      locks: (values.lock ?? []).map(parseLockSpec),
    });

    await withDb(settings, async (db) => {
      if (!(await getHousehold(db.kysely, householdId))) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', `${householdId} (add it with khoa household add)`, { householdId });
      if (await getDevice(db.kysely, deviceId)) throw new KhoaError('KHOA_ERR_DEVICE_EXISTS', deviceId, { deviceId });
      const hash = await hashDevicePassword(password);
      // The file first: if it cannot be written, no device exists whose password nobody has.
      if (values.out) await writeAgentConfig(values.out, config);
      const removeBundle = outDir ? await writeBundle(outDir, agentBundleFiles(config, { sshKeys })) : null;
      try {
        await addDevice(db.kysely, { id: deviceId, householdId, credentialHash: hash });
      } catch (err) {
        if (values.out) await removeAgentConfig(values.out);
        await removeBundle?.();
        throw err;
      }
    });
    if (outDir) {
      console.error(`device ${deviceId} provisioned for household ${householdId}; bundle written to ${outDir} (keep it secret: khoa/agent.json holds the password)`);
      if (values.json) console.log(JSON.stringify({ deviceId, householdId, outDir, elapsedMs: Math.round(performance.now() - started) }));
      return 0;
    }
    if (values.out) console.error(`device ${deviceId} provisioned for household ${householdId}; config written to ${values.out} (keep it secret: it holds the password)`);
    else console.log(JSON.stringify(config, null, 2));
    return 0;
  },
};
