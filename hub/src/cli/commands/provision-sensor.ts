import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isValidId, KhoaError } from '@khoa/protocol';
import { SENSOR_KINDS, sensorBundleFiles, writeBundle, type SensorKind } from '@khoa/firmware-config';
import { configOption, parseOptions, required, settingsFrom, withDb } from '../options.ts';
import { addDevice, getDevice } from '../../storage/devices.ts';
import { getHousehold } from '../../storage/households.ts';
import { hashDevicePassword } from '../../broker/credentials.ts';

export const sensorUsage = `usage: khoa provision sensor --household H --kind door_sensor|lock_with_door --out-dir DIR
                              --hub-url URL --wifi-ssid S --wifi-password-file FILE
                              [--device D] [--lock-id L] [--ca FILE] [--board B] [--json] [--config FILE]

Creates an ESP32 door/lock sensor's own MQTT credentials in the hub's database (a random
password; only its argon2id hash is stored) and writes an ESPHome bundle to DIR:
{device}.yaml, secrets.yaml (0600: Wi-Fi, MQTT and OTA passwords), ca.pem, README.txt.
Nothing secret is printed. Revoke it like any device: khoa device revoke --device D.

  --device D               device id (default: sensor-<random>); its MQTT username and client id
  --lock-id L              the lock id in its event topic (default: door)
  --hub-url URL            mqtts://host[:port] as the sensor reaches the hub (needs --ca), or
                           mqtt://host[:port] on a trusted LAN only
  --wifi-password-file F   file holding the household Wi-Fi password (kept off the command line)
  --board B                PlatformIO board id (default: esp32dev)`;

/** Reads a file named by an option, as a coded error when it cannot. */
export function readTextOption(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_FILE', `--${option} ${file}: ${(err as Error).message}`, { option }, { cause: err });
  }
}

function isSensorKind(k: string): k is SensorKind {
  return (SENSOR_KINDS as readonly string[]).includes(k);
}

/** `khoa provision sensor …` (dispatched from provision.ts). Returns the exit code. */
export async function provisionSensor(argv: string[]): Promise<number> {
  const started = performance.now();
  const { values } = parseOptions(argv, {
    ...configOption,
    household: { type: 'string' },
    device: { type: 'string' },
    kind: { type: 'string' },
    'lock-id': { type: 'string' },
    'out-dir': { type: 'string' },
    'hub-url': { type: 'string' },
    ca: { type: 'string' },
    'wifi-ssid': { type: 'string' },
    'wifi-password-file': { type: 'string' },
    board: { type: 'string' },
    json: { type: 'boolean' },
  });
  const householdId = required(values, 'household');
  const kind = required(values, 'kind');
  if (!isSensorKind(kind)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--kind ${JSON.stringify(kind)}: one of ${SENSOR_KINDS.join(', ')}`, { option: 'kind' });
  const outDir = required(values, 'out-dir');
  // A sensor cannot use the hub's own loopback default: the URL must be the one it can reach.
  const hubUrl = required(values, 'hub-url');
  const deviceId = values.device ?? `sensor-${randomBytes(5).toString('hex')}`;
  if (!isValidId(deviceId)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--device ${JSON.stringify(deviceId)}: lower-case letters, digits, _ and -`, { option: 'device' });
  const ca = values.ca ? readTextOption(values.ca, 'ca') : undefined;
  // One trailing newline is the file's, not the password's.
  const wifiPassword = readTextOption(required(values, 'wifi-password-file'), 'wifi-password-file').replace(/\r?\n$/, '');
  const bundle = sensorBundleFiles({
    householdId,
    deviceId,
    kind,
    lockId: values['lock-id'] ?? 'door',
    hubUrl,
    ca,
    wifiSsid: required(values, 'wifi-ssid'),
    wifiPassword,
    board: values.board,
  });
  if (hubUrl.startsWith('mqtt://')) console.error(`warning: ${hubUrl} is plain MQTT: the sensor's password crosses the network readable; use mqtts:// with --ca outside a trusted LAN`);

  const settings = settingsFrom(values);
  await withDb(settings, async (db) => {
    if (!(await getHousehold(db.kysely, householdId))) throw new KhoaError('KHOA_ERR_HOUSEHOLD_UNKNOWN', `${householdId} (add it with khoa household add)`, { householdId });
    if (await getDevice(db.kysely, deviceId)) throw new KhoaError('KHOA_ERR_DEVICE_EXISTS', deviceId, { deviceId });
    const hash = await hashDevicePassword(bundle.mqttPassword);
    // The files first: if they cannot be written, no device exists whose password nobody has.
    const remove = await writeBundle(outDir, bundle.files);
    try {
      await addDevice(db.kysely, { id: deviceId, householdId, credentialHash: hash, kind: 'sensor' });
    } catch (err) {
      await remove();
      throw err;
    }
  });
  console.error(`sensor ${deviceId} (${kind}) provisioned for household ${householdId}; ESPHome bundle written to ${outDir} (keep secrets.yaml secret)`);
  if (values.json) console.log(JSON.stringify({ deviceId, householdId, kind, outDir, elapsedMs: Math.round(performance.now() - started) }));
  return 0;
}
