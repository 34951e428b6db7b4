import { Type, type Static } from '@sinclair/typebox';
import { compile } from '@khoa/protocol';
import { cameraConfigObject } from '../pipeline/config-schema.ts';

/**
 * The hub's one configuration schema: every setting with its default, range and meaning.
 * Unknown keys are refused at every level (a typo must not silently fall back to a default).
 * Loaded from a JSON file (`--config`) and `KHOA_*` variables (see env.ts), in that order.
 */
const Port = (title: string, dflt: number) => Type.Integer({ minimum: 0, maximum: 65535, default: dflt, title, description: '0 picks a free port (tests)' });
const obj = <T extends Parameters<typeof Type.Object>[0]>(props: T, description: string) =>
  Type.Object(props, { additionalProperties: false, default: {}, description });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SettingsSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: '.data', description: 'SQLite file, snapshots and other state live here' }),
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
    mqtt: obj(
      {
        host: Type.String({ default: '0.0.0.0', description: 'agents connect from the LAN, so all interfaces by default' }),
        // 1884, not 1883: a machine often already runs a system Mosquitto on 1883.
        port: Port('MQTT over TCP', 1884),
        /**
         * Longest MQTT keepalive a device may ask for, in seconds; 0 (none) is refused too. A dead
         * link is noticed after 1.5 keepalives: without a bound, a silent device would never fire
         * its Last Will nor reach the agent-offline rule.
         */
        maxKeepaliveS: Type.Integer({ minimum: 1, maximum: 65535, default: 300 }),
        /** Largest MQTT packet accepted from a device; bigger ones drop the connection before being buffered. Room for a 4 MiB frame. */
        maxPacketBytes: Type.Integer({ minimum: 1024, maximum: 268435455, default: 4 * 1024 * 1024 + 65536 }),
        /** Largest CONNECT packet (it arrives before authentication). */
        maxConnectBytes: Type.Integer({ minimum: 256, maximum: 1048576, default: 65536 }),
        /** Largest JSON payload accepted (frames have their own bound in protocol). */
        maxJsonBytes: Type.Integer({ minimum: 256, maximum: 1048576, default: 65536 }),
        tls: Type.Optional(
          Type.Object(
            {
              port: Port('MQTT over TLS', 8883),
              cert: Type.String({ minLength: 1, description: 'PEM certificate file' }),
              key: Type.String({ minLength: 1, description: 'PEM private key file' }),
            },
            { additionalProperties: false },
          ),
        ),
        ws: Type.Optional(
          Type.Object(
            {
              port: Port('MQTT over WebSocket', 8884),
              path: Type.String({ pattern: '^/', default: '/mqtt' }),
            },
            { additionalProperties: false },
          ),
        ),
        /**
         * Scale-out mode (DESIGN.md "Storage and scale"): devices connect to this external MQTT 5
         * broker; the hub joins it as a client and the embedded broker opens no listener (it stays
         * the hub's in-process bus). See broker/external-bridge.ts.
         */
        external: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^(mqtts?|wss?)://[^\\s]+$', description: 'mqtt://host:1883, mqtts://… or wss://…' }),
              username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'default khoa-hub when a password is set' })),
              password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
              clientId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'unique per hub process and stable across its restarts (persistent session); default khoa-hub-{hostname}' })),
              shareGroup: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'khoa-hubs', description: 'hubs of one deployment share frames through $share/{group}/…' }),
              /** How long the broker keeps this hub's session (and queues its events) while it is away. */
              sessionExpiryS: Type.Integer({ minimum: 0, maximum: 604800, default: 3600 }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      'embedded MQTT broker',
    ),
    http: obj({ host: Type.String({ default: '0.0.0.0' }), port: Port('HTTP API, /healthz, /metrics', 8080) }, 'HTTP server'),
    db: obj(
      {
        url: Type.String({ default: '', description: 'empty: SQLite file dataDir/khoa.sqlite; sqlite:PATH; or postgres://…' }),
        /** PostgreSQL schema to use (created if missing); lets several hubs or test runs share a database. */
        schema: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' })),
        busyTimeoutMs: Type.Integer({ minimum: 0, default: 5000, description: 'SQLite busy_timeout of the command-line tools: how long they wait for another process (the hub) to finish writing' }),
        /**
         * The running hub's SQLite busy_timeout. better-sqlite3 waits synchronously, so the whole
         * hub (broker, console, /healthz) stands still while it waits for another process's write
         * lock; past this the write fails, its publish is not acknowledged and the device resends,
         * a failed alert is retried by the rules. The hub's own transactions take milliseconds.
         */
        hubBusyTimeoutMs: Type.Integer({ minimum: 0, default: 250, description: 'SQLite busy_timeout of the running hub (its event loop waits that long at most for another process\'s write lock)' }),
      },
      'storage',
    ),
    auth: obj(
      {
        /** A verified password is remembered this long so reconnect storms skip argon2 (about 50 ms each). */
        cacheTtlMs: Type.Integer({ minimum: 0, maximum: 86400000, default: 600000 }),
        cacheMaxEntries: Type.Integer({ minimum: 0, default: 10000 }),
        /** Failed logins allowed per client id and per IP within the window before further tries are refused unchecked. */
        maxFailures: Type.Integer({ minimum: 1, default: 5 }),
        failureWindowMs: Type.Integer({ minimum: 1000, default: 60000 }),
        /** First wait of a device+address after maxFailures; it doubles with each further failure. Also the address lock (4 × maxFailures). */
        lockoutMs: Type.Integer({ minimum: 0, default: 300000 }),
        /** Longest wait of a device+address (the doubling stops here). */
        maxLockoutMs: Type.Integer({ minimum: 0, default: 3600000 }),
        /** Failures of one device id from addresses it never connected from, within deviceLockoutMs, before it is closed to such addresses for deviceLockoutMs (many addresses against one device). */
        maxFailuresPerDevice: Type.Integer({ minimum: 1, default: 20 }),
        deviceLockoutMs: Type.Integer({ minimum: 1000, default: 900000 }),
        /** A successful connection makes its address familiar to the device this long: an attacker elsewhere cannot lock it out of there. */
        trustedAddressMs: Type.Integer({ minimum: 0, default: 30 * 86400000 }),
      },
      'device authentication',
    ),
    login: obj(
      {
        /** Failed sign-ins of one account from one IP before that pair waits backoffBaseMs, doubling with each further failure up to lockoutMs. */
        maxFailuresPerAccountIp: Type.Integer({ minimum: 1, default: 5 }),
        backoffBaseMs: Type.Integer({ minimum: 0, default: 60000 }),
        /** Failed sign-ins from one IP, whatever the account, within the window before that IP waits lockoutMs (password spraying). */
        maxFailuresPerIp: Type.Integer({ minimum: 1, default: 20 }),
        /** Failed sign-ins of one account from IPs it never signed in from, within the window, before it is closed to such IPs for lockoutMs (many addresses against one officer). IPs it signed in from keep working. */
        maxFailuresPerAccount: Type.Integer({ minimum: 1, default: 20 }),
        failureWindowMs: Type.Integer({ minimum: 1000, default: 900000 }),
        lockoutMs: Type.Integer({ minimum: 0, default: 900000 }),
        /** How long a successful sign-in keeps its IP familiar to the account. */
        trustedIpMs: Type.Integer({ minimum: 0, default: 30 * 86400000 }),
      },
      'console and district sign-in brute-force limits',
    ),
    rules: obj(
      {
        /** How often time-based rules (night lock, agent offline) are evaluated. */
        tickMs: Type.Integer({ minimum: 100, default: 30000 }),
        lowBatteryPercent: Type.Number({ minimum: 0, maximum: 100, default: 20 }),
        keypadFailures: Type.Integer({ minimum: 1, default: 5, description: 'wrong codes in a row that raise an alert' }),
        lockOpenNightMinutes: Type.Integer({ minimum: 0, default: 15, description: 'minutes into the household night a lock may stay unlocked' }),
        agentOfflineGraceMs: Type.Integer({ minimum: 0, default: 300000, description: 'an agent offline (LWT) this long raises an alert; a reconnect before cancels it' }),
        resumeLeaseMs: Type.Integer({ minimum: 1000, default: 15000, description: 'an event stored this long ago whose rules never finished (its hub died) is run through the rules again' }),
      },
      'alert rules and their thresholds',
    ),
    pipeline: obj(
      {
        /** 0 turns frame analysis off: frames are still validated and counted, then dropped. */
        workers: Type.Integer({ minimum: 0, maximum: 16, default: 2, description: 'worker threads, one detector session each; more than the cores only adds contention' }),
        maxFrameAgeMs: Type.Integer({ minimum: 100, maximum: 60000, default: 2000, description: 'frames older than this when a worker frees up are dropped unanalysed (the newest frame of a camera wins)' }),
        /** Every camera's motion sensitivity, masks, zones... unless `cameras` says otherwise; each field's default is in its description. */
        cameraDefaults: cameraConfigObject({ default: {}, description: 'settings for every camera (fields as in `cameras`)' }),
        /**
         * Per camera, keyed `deviceId/cameraId` (the agent's device id and the camera id in its
         * config): `{"agent-7/gate": {"zones": [[[0,0.5],[1,0.5],[1,1],[0,1]]], "sensitivity": 0.7}}`.
         * Polygons are fractions of the frame; a polygon with no area or crossing edges stops the hub at start.
         */
        cameras: Type.Record(Type.String({ pattern: '^[^/\\s]+/[^/\\s]+$' }), cameraConfigObject(), {
          default: {},
          additionalProperties: false,
          description: 'per-camera settings over cameraDefaults, keyed deviceId/cameraId',
        }),
      },
      'frame pipeline: motion, person detection and tracking',
    ),
    alerts: obj(
      {
        /** Minutes police have to act on an alert of each severity before it is overdue. */
        deadlineMinutes: obj(
          {
            critical: Type.Integer({ minimum: 1, default: 15 }),
            high: Type.Integer({ minimum: 1, default: 60 }),
            medium: Type.Integer({ minimum: 1, default: 240 }),
            low: Type.Integer({ minimum: 1, default: 1440 }),
          },
          'deadline per severity',
        ),
      },
      'alert workflow',
    ),
    coverage: obj(
      {
        /** A household is covered when one of its cameras delivered a frame or keyframe within this many hours. */
        windowHours: Type.Integer({ minimum: 1, maximum: 720, default: 24 }),
        /**
         * Plan targets by year-end, percent (seed 001, Đề án 201): a period is measured against the
         * first target year at or after it. `strict` means "more than" (">50% urban").
         */
        targets: Type.Array(
          Type.Object(
            {
              year: Type.Integer({ minimum: 2000, maximum: 2100 }),
              ruralPercent: Type.Number({ minimum: 0, maximum: 100 }),
              ruralUpToPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'upper end of the planned range, shown only' })),
              urbanPercent: Type.Number({ minimum: 0, maximum: 100 }),
              urbanUpToPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
              urbanStrict: Type.Optional(Type.Boolean()),
              residentialAreasPercent: Type.Number({ minimum: 0, maximum: 100 }),
              agenciesPercent: Type.Number({ minimum: 0, maximum: 100 }),
              recognisedPercent: Type.Number({ minimum: 0, maximum: 100, description: 'units recognised "An toàn về ANTT"; strict (>90%, >95%)' }),
            },
            { additionalProperties: false },
          ),
          {
            minItems: 1,
            default: [
              { year: 2022, ruralPercent: 5, ruralUpToPercent: 10, urbanPercent: 30, urbanUpToPercent: 40, residentialAreasPercent: 100, agenciesPercent: 100, recognisedPercent: 90 },
              { year: 2025, ruralPercent: 20, ruralUpToPercent: 30, urbanPercent: 50, urbanStrict: true, residentialAreasPercent: 100, agenciesPercent: 100, recognisedPercent: 95 },
            ],
          },
        ),
        /** Seed 001: every tip taken up, more than 90% resolved. */
        tipsTakenUpPercent: Type.Number({ minimum: 0, maximum: 100, default: 100 }),
        tipsResolvedPercent: Type.Number({ minimum: 0, maximum: 100, default: 90 }),
      },
      'district coverage targets and windows (issue 7)',
    ),
  },
  { $id: 'HubSettings', additionalProperties: false },
);

export type Settings = Static<typeof SettingsSchema>;
export const settingsValidator = compile(SettingsSchema, 'KHOA_ERR_CONFIG_INVALID');
