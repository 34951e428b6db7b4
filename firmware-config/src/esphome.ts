import { Document, Scalar } from 'yaml';
import { isValidId, KhoaError, topics } from '@khoa/protocol';

/** The sensor kinds an ESP32 bundle can be made for (a subset of protocol's LOCK_KINDS). */
export const SENSOR_KINDS = ['door_sensor', 'lock_with_door'] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];

/** Ids used inside the ESPHome config; the test reads the YAML back through them. */
export const ESPHOME_IDS = { seq: 'khoa_seq', time: 'khoa_time', event: 'khoa_event', door: 'khoa_door', bolt: 'khoa_bolt', tamper: 'khoa_tamper', battery: 'khoa_battery' } as const;

/** Keys of the sensor's secrets.yaml (0600 in the bundle, never printed). */
export const SECRET_KEYS = { wifi: 'wifi_password', mqtt: 'mqtt_password', ota: 'ota_password' } as const;

export interface SensorConfigRequest {
  householdId: string;
  deviceId: string;
  kind: SensorKind;
  /** The lock id its events carry in the topic, e.g. `front`. */
  lockId: string;
  /** `mqtts://host:port` (needs `ca`) or `mqtt://host:port` on a trusted LAN. */
  hubUrl: string;
  ca?: string | undefined;
  wifiSsid: string;
  /** PlatformIO board id, e.g. `esp32dev`. */
  board?: string | undefined;
}

/** `!secret key`: ESPHome reads the value from secrets.yaml beside the config. */
function secret(key: string): Scalar {
  const s = new Scalar(key);
  s.tag = '!secret';
  return s;
}

/** `!lambda |-` C++ code, as a literal block so it stays readable in the file. */
function lambda(code: string): Scalar {
  const s = new Scalar(code);
  s.tag = '!lambda';
  s.type = Scalar.BLOCK_LITERAL;
  return s;
}

function parseBroker(url: string, ca: string | undefined): { host: string; port: number; tls: boolean } {
  const m = /^(mqtts?):\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(url);
  if (!m) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--hub-url ${JSON.stringify(url)}: a sensor needs mqtts://host[:port] (or mqtt:// on a trusted LAN)`, { option: 'hub-url' });
  const tls = m[1] === 'mqtts';
  const port = m[3] ? Number(m[3]) : tls ? 8883 : 1883;
  if (port < 1 || port > 65535) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--hub-url port ${port}`, { option: 'hub-url' });
  // ESPHome verifies the broker against the CA it is given; with none it has nothing to trust.
  if (tls && !ca) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'mqtts:// for a sensor needs --ca (the CA that signed the hub certificate)', { option: 'ca' });
  return { host: m[2]!, port, tls };
}

/** An event through the shared script: `type` and, for battery reports, the percentage. */
function event(type: string, battery: string | number = -1) {
  return { 'script.execute': { id: ESPHOME_IDS.event, event_type: type, battery: typeof battery === 'string' ? lambda(battery) : battery } };
}

/** A gpio input wired between the pin and GND, with the ESP32's pull-up: an open switch reads ON. */
function gpioInput(id: string, name: string, pin: string, deviceClass: string) {
  return {
    platform: 'gpio',
    id,
    name,
    // Internal: ESPHome would otherwise publish `…/binary_sensor/…/state`, a topic outside the
    // contract, and the hub's ACL drops a device that publishes one.
    internal: true,
    device_class: deviceClass,
    pin: { number: pin, mode: { input: true, pullup: true } },
    // A reed switch bounces for a few ms and a door rattles in the wind.
    filters: [{ delayed_on_off: '100ms' }],
  };
}

/**
 * The ESPHome config of an ESP32 door (or lock-and-door) sensor that speaks the Khoa MQTT
 * contract itself, with its own credentials: status as birth/will (retained), lock events
 * as LockEvent JSON on `…/lock/{lockId}/event`. Secrets are `!secret` references only.
 */
export function esphomeSensorConfig(r: SensorConfigRequest): string {
  for (const [field, v] of [['householdId', r.householdId], ['deviceId', r.deviceId], ['lockId', r.lockId]] as const) {
    if (!isValidId(v)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${field} ${JSON.stringify(v)}`, { field });
  }
  if (!(SENSOR_KINDS as readonly string[]).includes(r.kind)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--kind ${JSON.stringify(r.kind)}: one of ${SENSOR_KINDS.join(', ')}`, { option: 'kind' });
  // ESPHome node names: lower-case letters, digits and '-', at most 31 characters.
  const name = r.deviceId.replace(/_/g, '-');
  if (name.length > 31) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `device id ${r.deviceId} is longer than the 31 characters ESPHome allows`, { field: 'deviceId' });
  if (r.wifiSsid.length < 1 || r.wifiSsid.length > 32) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', '--wifi-ssid must be 1 to 32 characters', { option: 'wifi-ssid' });
  // ESPHome expands `$name` and `${name}` anywhere in the file (substitutions): a '$' in the
  // SSID would silently become another network name on the device.
  if (r.wifiSsid.includes('$')) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', "--wifi-ssid with '$' cannot be written for ESPHome (substitutions would change it)", { option: 'wifi-ssid' });
  const board = r.board ?? 'esp32dev';
  if (!/^[a-z0-9_-]{1,64}$/.test(board)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--board ${JSON.stringify(board)}`, { option: 'board' });
  const broker = parseBroker(r.hubUrl, r.ca);
  const device = { householdId: r.householdId, deviceId: r.deviceId };
  const status = topics.status(device);
  const eventTopic = topics.lockEvent(device, r.lockId);
  const withBolt = r.kind === 'lock_with_door';

  // The payload is built in C++ on the device. seq: increased before each event and kept in
  // flash (restore_value), so the hub's (device, seq) de-duplication never drops a new event;
  // ts: SNTP time in ms, or 0 before the clock is set (the hub then uses its receive time).
  const payload = [
    `root["seq"] = id(${ESPHOME_IDS.seq});`,
    `root["ts"] = id(${ESPHOME_IDS.time}).now().is_valid() ? (int64_t) id(${ESPHOME_IDS.time}).now().timestamp * 1000 : (int64_t) 0;`,
    'root["type"] = event_type;',
    'if (battery >= 0) root["battery"] = roundf(battery);',
    'root["source"] = "esphome";',
  ].join('\n');

  // After (re)connecting, report the current door (and bolt) state: events while the link was
  // down are lost (the sensor has no store-and-forward), but the hub's state is made right.
  const resync = [
    { if: { condition: { 'binary_sensor.is_on': ESPHOME_IDS.door }, then: [event('door_open')], else: [event('door_closed')] } },
    ...(withBolt ? [{ if: { condition: { 'binary_sensor.is_on': ESPHOME_IDS.bolt }, then: [event('unlocked')], else: [event('locked')] } }] : []),
  ];

  const config = {
    substitutions: { door_pin: 'GPIO27', tamper_pin: 'GPIO26', ...(withBolt ? { bolt_pin: 'GPIO25' } : {}), battery_pin: 'GPIO34' },
    esphome: {
      name,
      comment: `Khoa ${r.kind} ${r.deviceId} (household ${r.householdId})`,
      on_boot: {
        // Restored values reach flash at most once a minute (preferences' flash_write_interval),
        // so after a power cut seq may be up to a minute of events behind what the hub stored.
        // Jumping ahead keeps it increasing; no door makes 1000 events in a minute. Priority
        // 600 runs before Wi-Fi and MQTT start, so no event is published with the old value.
        priority: 600,
        then: [{ lambda: lambda(`id(${ESPHOME_IDS.seq}) += 1000;`) }],
      },
    },
    // ESP-IDF: ESPHome's MQTT certificate_authority (TLS with a private CA) needs it.
    esp32: { board, framework: { type: 'esp-idf' } },
    logger: { level: 'INFO' },
    // No fallback access point: an open hotspot on a door sensor would be a way in.
    wifi: { ssid: r.wifiSsid, password: secret(SECRET_KEYS.wifi) },
    ota: [{ platform: 'esphome', password: secret(SECRET_KEYS.ota) }],
    time: [{ platform: 'sntp', id: ESPHOME_IDS.time, timezone: 'Asia/Ho_Chi_Minh', servers: ['0.vn.pool.ntp.org', '1.asia.pool.ntp.org', '2.pool.ntp.org'] }],
    globals: [{ id: ESPHOME_IDS.seq, type: 'uint32_t', restore_value: true, initial_value: '0' }],
    mqtt: {
      broker: broker.host,
      port: broker.port,
      client_id: r.deviceId,
      username: r.deviceId,
      password: secret(SECRET_KEYS.mqtt),
      // Only contract topics may be published (the hub's ACL drops the device otherwise): no
      // Home Assistant discovery, no IP discovery, no log topic.
      discovery: false,
      discover_ip: false,
      log_topic: null,
      topic_prefix: topics.devicePrefix(device).replace(/\/$/, ''),
      keepalive: '30s',
      birth_message: { topic: status, payload: 'online', qos: 1, retain: true },
      will_message: { topic: status, payload: 'offline', qos: 1, retain: true },
      shutdown_message: { topic: status, payload: 'offline', qos: 1, retain: true },
      ...(broker.tls && r.ca ? { certificate_authority: r.ca.trim() } : {}),
      on_connect: { then: resync },
    },
    script: [
      {
        id: ESPHOME_IDS.event,
        // Queued: two events in quick succession (door opened, tamper) are both sent, in order.
        mode: 'queued',
        max_runs: 10,
        parameters: { event_type: 'string', battery: 'float' },
        then: [{ lambda: lambda(`id(${ESPHOME_IDS.seq}) += 1;`) }, { 'mqtt.publish_json': { topic: eventTopic, qos: 1, retain: false, payload: lambda(payload) } }],
      },
    ],
    binary_sensor: [
      { ...gpioInput(ESPHOME_IDS.door, 'Door', '${door_pin}', 'door'), on_press: [event('door_open')], on_release: [event('door_closed')] },
      // The tamper switch is held closed by the case lid; opening the case opens it.
      { ...gpioInput(ESPHOME_IDS.tamper, 'Tamper', '${tamper_pin}', 'tamper'), on_press: [event('tamper')] },
      // The bolt switch is closed while the bolt is thrown: open (ON) means unlocked.
      ...(withBolt ? [{ ...gpioInput(ESPHOME_IDS.bolt, 'Bolt', '${bolt_pin}', 'lock'), on_press: [event('unlocked')], on_release: [event('locked')] }] : []),
    ],
    sensor: [
      {
        platform: 'adc',
        id: ESPHOME_IDS.battery,
        name: 'Battery',
        internal: true,
        // An ADC1 pin: ADC2 cannot be read while Wi-Fi is on.
        pin: '${battery_pin}',
        attenuation: '12db',
        update_interval: '15min',
        filters: [
          // A 1:1 divider halves the Li-ion cell (4.2 V full, 3.3 V empty under load).
          { multiply: 2.0 },
          { calibrate_linear: ['3.3 -> 0.0', '4.2 -> 100.0'] },
          { clamp: { min_value: 0, max_value: 100 } },
          // Report only a change of 5 points: each report is a stored event on the hub.
          { delta: 5.0 },
        ],
        on_value: [event('battery', 'return x;')],
      },
    ],
  };
  const header = [
    `# Khoa ESP32 ${r.kind}: device ${r.deviceId}, household ${r.householdId}. Written by \`khoa provision sensor\`.`,
    '# Secrets (Wi-Fi, MQTT, OTA) are in secrets.yaml beside this file. Flash with: esphome run <this file>',
    '# Wiring: each switch between its GPIO (substitutions below) and GND; battery through a 1:1 divider.',
  ].join('\n');
  return `${header}\n${new Document(config).toString({ lineWidth: 0 })}`;
}

/** secrets.yaml for the sensor: written 0600, its values never printed. */
export function esphomeSecrets(s: { wifiPassword: string; mqttPassword: string; otaPassword: string }): string {
  // WPA2-PSK passphrases are 8 to 63 characters; anything else cannot join the household's Wi-Fi.
  if (s.wifiPassword.length < 8 || s.wifiPassword.length > 63) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'the Wi-Fi password must be 8 to 63 characters', { option: 'wifi-password-file' });
  const doc = new Document({ [SECRET_KEYS.wifi]: s.wifiPassword, [SECRET_KEYS.mqtt]: s.mqttPassword, [SECRET_KEYS.ota]: s.otaPassword });
  return `# Secrets of one Khoa sensor. Keep 0600; never commit or send.\n${doc.toString()}`;
}
