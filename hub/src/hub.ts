import { availableParallelism } from 'node:os';
import type { CommandName, CommandPayloads, DeviceRef } from '@khoa/protocol';
import type { Settings } from './settings/schema.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { openDb, type Db } from './storage/open.ts';
import { markAllOffline, revokeDevice } from './storage/devices.ts';
import { createLockEventStore } from './storage/lock-event-store.ts';
import { createHeartbeatStore } from './storage/heartbeat-store.ts';
import { groupCommitFor } from './storage/group-commit.ts';
import { AlertBus } from './alerts/bus.ts';
import { openAlertCounts, registerAlertGauges } from './alerts/gauges.ts';
import { createAlertRaiser, type RaiseAlert } from './alerts/raise.ts';
import { RuleEngine } from './rules/engine.ts';
import { rules as allRules } from './rules/index.ts';
import type { Rule } from './rules/types.ts';
import { Ingest } from './ingest/ingest.ts';
import type { IngestContext } from './ingest/context.ts';
import { discardFrames, type FrameSink } from './ingest/frame-sink.ts';
import { startBroker, type Broker } from './broker/broker.ts';
import { startExternalBroker } from './broker/external-broker.ts';
import { sweepRevoked } from './broker/revocation-sweep.ts';
import { resumeLeftByDeadHub, resumeUnhandledRules } from './ingest/resume-rules.ts';
import { startHttp, type HttpServer } from './http/server.ts';
import { routePipelineAlerts } from './frames/person-alerts.ts';

export interface HubOptions {
  /** Clock for rules and stored times (tests move it); defaults to Date.now. */
  now?: () => number;
  /** The frame pipeline; frames are validated and discarded until one is set (also see setFrameSink). */
  frameSink?: FrameSink;
  logger?: Logger;
  /** Rules to run instead of rules/index.ts (tests of rule isolation). */
  rules?: readonly Rule[];
  /** Run the periodic rule evaluation timer (default true; tests call `hub.rules.tick()`). */
  ruleTimer?: boolean;
}

export interface Hub {
  settings: Settings;
  /** Actual ports (settings may say 0). */
  mqttPort: number;
  mqttTlsPort: number | undefined;
  mqttWsPort: number | undefined;
  httpPort: number;
  db: Db;
  broker: Broker;
  metrics: Metrics;
  rules: RuleEngine;
  alerts: AlertBus;
  /** Raises an alert (deduplicated, counted, announced); for the frame pipeline's person alerts. */
  raise: RaiseAlert;
  log: Logger;
  /** Plugs in (or replaces) the frame pipeline. */
  setFrameSink(sink: FrameSink): void;
  sendCommand<K extends CommandName>(device: DeviceRef, name: K, payload: CommandPayloads[K]): Promise<void>;
  /** Revokes a device's credentials and drops its connection. */
  revokeDevice(deviceId: string): Promise<boolean>;
  /** Graceful stop: stops taking messages, finishes those in progress, closes everything. */
  stop(): Promise<void>;
}

/** Starts a hub: storage (migrated), broker with auth/ACL, ingest, rules, HTTP. */
export async function startHub(settings: Settings, opts: HubOptions = {}): Promise<Hub> {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createLogger(settings.logLevel);
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await f().catch((err: unknown) => log.error({ err }, 'stop step failed'));
    cleanups.length = 0;
  };
  try {
    // Metrics exist before the broker (its hooks count into them); the gauge reads it once it is up.
    const started: { broker?: Broker } = {};
    const metrics = createMetrics({ connectedClients: () => started.broker?.aedes.connectedClients ?? 0 });
    const db = await openDb({ ...settings.db, busyTimeoutMs: settings.db.hubBusyTimeoutMs }, settings.dataDir);
    cleanups.push(() => db.close());
    log.info({ db: db.where }, 'storage ready');
    // The broker is embedded: nobody is connected to it yet, whatever the table says from before.
    // Not so with an external broker (scale-out): devices stay connected to it while a hub
    // restarts, and their retained status reaches the hub again when it subscribes.
    const wasOnline = settings.mqtt.external ? 0 : await markAllOffline(db.kysely, now());
    if (wasOnline > 0) log.info({ devices: wasOnline }, 'devices online before the restart marked offline until they reconnect');

    registerAlertGauges(metrics.registry, openAlertCounts(db.kysely, now));
    const alerts = new AlertBus((err) => log.error({ err }, 'alert listener failed'));
    const raise = createAlertRaiser({ db: db.kysely, settings: settings.alerts, metrics, log: log.child({ subsystem: 'alerts' }), bus: alerts, now });
    const rules = new RuleEngine(opts.rules ?? allRules, { settings: settings.rules, db: db.kysely, now, raise, log: log.child({ subsystem: 'rules' }) }, metrics);
    // One group commit for the hot-path writes of every device (storage/group-commit.ts).
    const group = groupCommitFor(db, (n) => metrics.groupCommitSize.observe(n));
    const ctx: IngestContext = { db: db.kysely, settings, metrics, rules, frames: opts.frameSink ?? discardFrames, lockEvents: createLockEventStore(db, group), heartbeats: createHeartbeatStore(db, group), now };
    if (!opts.frameSink && settings.pipeline.workers > 0) {
      // Loaded only when used: onnxruntime and sharp are heavy, and tests of the broker need neither.
      const { createPipeline } = await import('./pipeline/index.ts');
      const pipeline = createPipeline({
        workers: Math.min(settings.pipeline.workers, availableParallelism()),
        maxFrameAgeMs: settings.pipeline.maxFrameAgeMs,
        cameraDefaults: settings.pipeline.cameraDefaults,
        cameras: settings.pipeline.cameras,
        registry: metrics.registry,
        now,
      });
      ctx.frames = pipeline;
      const unroute = routePipelineAlerts(pipeline, { db: db.kysely, raise, log: log.child({ subsystem: 'pipeline' }), dataDir: settings.dataDir });
      pipeline.on('worker_error', (err) => log.error({ err }, 'pipeline worker failed'));
      // A frame refused by the decoder (bomb, truncated, garbage) is a payload dropped like any other: counted by its code.
      const frameLog = log.child({ subsystem: 'pipeline' });
      pipeline.on('frame_error', ({ cameraId, error }) => {
        metrics.payloadRejected.inc({ kind: 'cam_frame', reason: error.code.replace(/^KHOA_ERR_/, '').toLowerCase() });
        frameLog.warn({ cameraId, code: error.code, err: error.message }, 'frame refused');
      });
      cleanups.push(async () => unroute());
    }
    const ingest = new Ingest(ctx, log.child({ subsystem: 'ingest' }));
    // Before devices connect: what a dead predecessor acknowledged but never ran its rules for.
    if (!settings.mqtt.external) await resumeLeftByDeadHub(ctx, log.child({ subsystem: 'rules' }));
    cleanups.push(async () => {
      await ctx.frames.close?.();
    });

    const b = await (settings.mqtt.external ? startExternalBroker : startBroker)({ db: db.kysely, settings, metrics, log, beforeAck: ingest.beforeAck, now });
    started.broker = b;
    cleanups.push(() => b.close());
    // Ingest stops before the broker closes: in-flight messages finish, later ones are refused
    // (not acknowledged), so agents resend them to the next hub.
    cleanups.push(() => ingest.stop());

    const http: HttpServer = await startHttp({ db, metrics, broker: () => b.aedes, alerts, settings, raise, log, now }, { host: settings.http.host, port: settings.http.port, log });
    cleanups.push(() => http.close());

    if (opts.ruleTimer !== false) rules.start(settings.rules.tickMs);
    // Events stored by a hub that died before its rules ran (the lease leaves a live hub time to finish).
    const resume = setInterval(() => void resumeUnhandledRules(ctx, log.child({ subsystem: 'rules' }), settings.rules.resumeLeaseMs).catch((err: unknown) => log.error({ err }, 'rules resume failed')), settings.rules.tickMs);
    resume.unref();
    cleanups.push(async () => clearInterval(resume));
    const sweep = setInterval(() => void sweepRevoked(b.aedes, db.kysely, log).catch((err: unknown) => log.error({ err }, 'revocation sweep failed')), settings.rules.tickMs);
    sweep.unref();
    cleanups.push(async () => {
      clearInterval(sweep);
      await rules.stop();
    });

    log.info({ mqtt: b.ports, http: http.port }, 'hub started');
    let stopping: Promise<void> | undefined;
    return {
      settings,
      mqttPort: b.ports.tcp,
      mqttTlsPort: b.ports.tls,
      mqttWsPort: b.ports.ws,
      httpPort: http.port,
      db,
      broker: b,
      metrics,
      rules,
      alerts,
      raise,
      log,
      setFrameSink(sink) {
        ctx.frames = sink;
      },
      sendCommand: (device, name, payload) => b.sendCommand(device, name, payload),
      async revokeDevice(deviceId) {
        const found = await revokeDevice(db.kysely, deviceId);
        await b.disconnect(deviceId);
        return found;
      },
      stop() {
        stopping ??= cleanup().then(() => log.info('hub stopped'));
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
