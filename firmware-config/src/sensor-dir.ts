import type { BundleFile } from './bundle-dir.ts';
import { esphomeSecrets, esphomeSensorConfig, type SensorConfigRequest } from './esphome.ts';
import { newDevicePassword } from './password.ts';
import { sensorReadme } from './readme.ts';

export interface SensorBundle {
  files: BundleFile[];
  /** The MQTT password, for the caller to hash into the hub; never print it. */
  mqttPassword: string;
}

/**
 * An ESP32 sensor's bundle: `{deviceId}.yaml` (ESPHome config, no secrets), `secrets.yaml`
 * (0600: Wi-Fi, MQTT and OTA passwords), `ca.pem` when given, and README.txt. The MQTT and
 * OTA passwords are made here, fresh for each device.
 */
export function sensorBundleFiles(r: SensorConfigRequest & { wifiPassword: string }): SensorBundle {
  const mqttPassword = newDevicePassword();
  const files: BundleFile[] = [
    { path: `${r.deviceId}.yaml`, content: esphomeSensorConfig(r), mode: 0o644 },
    { path: 'secrets.yaml', content: esphomeSecrets({ wifiPassword: r.wifiPassword, mqttPassword, otaPassword: newDevicePassword() }), mode: 0o600 },
    { path: 'README.txt', content: sensorReadme(r), mode: 0o644 },
  ];
  if (r.ca) files.push({ path: 'ca.pem', content: r.ca, mode: 0o644 });
  return { files, mqttPassword };
}
