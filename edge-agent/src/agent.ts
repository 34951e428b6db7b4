import { EventEmitter } from 'node:events';
import path from 'node:path';
import { KhoaError, topics, type AgentConfig, type DeviceRef, type LockEvent } from '@khoa/protocol';
import { configuredCameras } from './camera-provider.ts';
import { CameraPublisher } from './camera-sink.ts';
import type { CameraProvider, CameraSink } from './cameras.ts';
import { systemClock, type Clock } from './clock.ts';
import { handleCommand, type CommandContext, type CommandHooks, type RuntimeSettings } from './commands/index.ts';
import { builtinDrivers, SimulatorDriver, type LockDriver, type LockDriverFactory } from './drivers/index.ts';
import { HeartbeatSource } from './heartbeat.ts';
import { LockDrivers } from './lock-drivers.ts';
import { MqttLink } from './link/mqtt-link.ts';
import { createLogger, type Logger } from './log.ts';
import { createAgentMetrics, type AgentMetrics } from './metrics.ts';
import { EventQueue } from './queue/event-queue.ts';
import { Forwarder } from './queue/forwarder.ts';
import { buildRegistration } from './registration.ts';
import { StateStore, type AgentState } from './state.ts';

/** Timers and bounds; the defaults suit a Pi in a house, tests shrink them. */
export interface AgentTuning {
  heartbeatIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How long a connection must last before reconnect delays start again from the minimum. */
  reconnectStableMs: number;
  connectTimeoutMs: number;
  keepaliveS: number;
  queueMaxEvents: number;
  queueMaxBytes: number;
  /** Events kept in memory only while the disk refuses writes (full SD card); past it the oldest of them are dropped and counted. */
  queueMemoryMaxEvents: number;
  /** How often writing those to disk is tried again. */
  queueRetryMs: number;
  queueSegmentEvents: number;
  queueCursorFlushMs: number;
  queueFsync: 'always' | 'never';
  /** Lock events in flight to the hub at once. */
  publishWindow: number;
  /** Delay before retrying a lock driver that could not open its device. */
  driverRetryMs: number;
  /** Camera frames are dropped while more than this many bytes wait to go out. */
  frameBacklogBytes: number;
  /** Injectable randomness for the reconnect jitter. */
  random: () => number;
}

export const DEFAULT_TUNING: AgentTuning = {
  heartbeatIntervalMs: 60_000,
  reconnectMinMs: 1_000,
  reconnectMaxMs: 60_000,
  reconnectStableMs: 30_000,
  connectTimeoutMs: 10_000,
  keepaliveS: 30,
  queueMaxEvents: 10_000,
  queueMaxBytes: 4 * 1024 * 1024,
  queueMemoryMaxEvents: 2_000,
  queueRetryMs: 5_000,
  queueSegmentEvents: 1_000,
  queueCursorFlushMs: 500,
  queueFsync: 'always',
  publishWindow: 16,
  driverRetryMs: 30_000,
  frameBacklogBytes: 1024 * 1024,
  random: Math.random,
};

export interface AgentOptions {
  /** Extra or replacement lock drivers by key, merged over the built-in ones. */
  drivers?: Record<string, LockDriverFactory>;
  clock?: Clock;
  /**
   * Camera providers. Left out, the config's `cameras` entries run through the camera side's
   * CameraManager; `[]` runs no cameras whatever the config says.
   */
  cameras?: CameraProvider[];
  hooks?: CommandHooks;
  log?: Logger;
  metrics?: AgentMetrics;
  tuning?: Partial<AgentTuning>;
}

interface AgentEvents {
  up: [];
  down: [];
  /** A lock event was made and queued. */
  event: [lockId: string, event: LockEvent];
  /** An event was acknowledged by the hub. */
  published: [seq: number];
  /** A command was handled (or refused); `ok` is the reply's. */
  command: [name: string, ok: boolean];
}

export interface Agent extends CameraSink {
  readonly device: DeviceRef;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  /** Subscribe to lifecycle events (`up`, `down`, `event`, `published`, `command`). */
  readonly events: EventEmitter<AgentEvents>;
  connected(): boolean;
  /** Resolves once the link is up (immediately if it is). */
  whenConnected(): Promise<void>;
  /** Lock events waiting for the hub (on disk, or in memory only while the disk refuses writes). */
  queueDepth(): number;
  /** Queue health: events held only in memory, events dropped since start, whether the disk takes writes. */
  queueStatus(): { memoryOnly: number; dropped: number; storageOk: boolean };
  state(): Readonly<AgentState>;
  driver(lockId: string): LockDriver | undefined;
  /** The simulator driving `lockId`; throws if that lock uses another driver. */
  simulator(lockId: string): SimulatorDriver;
  /** Stops drivers and cameras, publishes `offline`, disconnects and closes the queue. */
  stop(): Promise<void>;
}

/**
 * Starts an edge agent: opens its queue and state in the data dir, builds its lock drivers
 * (bad driver options fail here, before anything connects), connects to the hub and starts the
 * drivers and cameras. A driver that cannot open its device is logged and counted; the others
 * and the cameras keep working.
 */
export async function startAgent(config: AgentConfig, options: AgentOptions = {}): Promise<Agent> {
  const tuning: AgentTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const clock = options.clock ?? systemClock;
  const device: DeviceRef = { householdId: config.householdId, deviceId: config.deviceId };
  const log = (options.log ?? createLogger()).child({ deviceId: device.deviceId, householdId: device.householdId });
  const metrics = options.metrics ?? createAgentMetrics();
  const events = new EventEmitter<AgentEvents>();
  const cameras = options.cameras ?? (config.cameras?.length ? await loadConfiguredCameras(config.cameras, log, metrics) : []);
  let stopped = false;

  const queue = openStorage(config.dataDir, () => EventQueue.open({
    dir: path.join(config.dataDir, 'queue'),
    maxEvents: tuning.queueMaxEvents,
    maxBytes: tuning.queueMaxBytes,
    memoryMaxEvents: tuning.queueMemoryMaxEvents,
    retryMs: tuning.queueRetryMs,
    segmentMaxEvents: tuning.queueSegmentEvents,
    cursorFlushMs: tuning.queueCursorFlushMs,
    fsync: tuning.queueFsync,
    clock,
    onDrop: (n, reason) => {
      metrics.queueDropped.inc(n);
      if (reason === 'bound') log.warn({ dropped: n, bound: tuning.queueMaxEvents }, 'queue full: oldest events dropped');
      else log.error({ dropped: n, bound: tuning.queueMemoryMaxEvents }, 'disk refuses writes and memory is full: oldest unsaved events dropped');
    },
    onCorrupt: (n) => {
      metrics.queueCorrupt.inc(n);
      log.error({ lines: n }, 'corrupt queue lines skipped');
    },
    // Counted every time, logged once per outage (onStorageChange): a full card must not also flood the journal.
    onWriteError: (err) => metrics.queueWriteErrors.inc({ code: String(err.context?.code ?? 'unknown') }),
    onStorageChange: (ok, err) => {
      metrics.queueStorageOk.set(ok ? 1 : 0);
      if (ok) log.info('queue storage takes writes again; events held in memory written to disk');
      else log.error({ err, memoryBound: tuning.queueMemoryMaxEvents }, 'queue storage refuses writes; new events kept in memory only until it recovers');
    },
  }));
  if (queue.storageOk) metrics.queueStorageOk.set(1);
  const updateQueueGauges = () => {
    metrics.queueDepth.set(queue.depth);
    metrics.queueBytes.set(queue.bytes);
    metrics.queueMemoryOnly.set(queue.memoryOnly);
  };
  updateQueueGauges();
  log.info({ queued: queue.depth, seq: queue.seq }, 'queue opened');

  const state = openStorage(config.dataDir, () => StateStore.open(config.dataDir, (err) => log.error({ err }, 'state file damaged')));

  const link = new MqttLink({
    url: config.mqtt.url,
    deviceId: device.deviceId,
    password: config.password,
    ca: config.mqtt.ca,
    statusTopic: topics.status(device),
    cmdFilter: topics.cmdFilter(device),
    backoff: { minMs: tuning.reconnectMinMs, maxMs: tuning.reconnectMaxMs, random: tuning.random },
    stableMs: tuning.reconnectStableMs,
    connectTimeoutMs: tuning.connectTimeoutMs,
    keepaliveS: tuning.keepaliveS,
    log,
    metrics,
  });

  const forwarder = new Forwarder(queue, {
    topicFor: (lockId) => topics.lockEvent(device, lockId),
    window: tuning.publishWindow,
    log,
    onPublished: (seq) => {
      link.noteProgress();
      metrics.eventsPublished.inc();
      updateQueueGauges();
      events.emit('published', seq);
    },
  });

  const cameraSink = new CameraPublisher({ link, device, metrics, log, announce: () => publishRegistration(), frameBacklogBytes: tuning.frameBacklogBytes });

  // Every driver event: seq, disk, then the link.
  const drivers = new LockDrivers({
    locks: config.locks,
    factories: { ...builtinDrivers, ...options.drivers },
    clock,
    log,
    metrics,
    retryMs: tuning.driverRetryMs,
    onEvent: (lock, e) => {
      try {
        const fields: Omit<LockEvent, 'seq'> = { ts: e.ts ?? clock.now(), type: e.type, source: lock.driver };
        if (e.battery !== undefined) fields.battery = e.battery;
        if (e.failures !== undefined) fields.failures = e.failures;
        const item = queue.append(lock.id, fields);
        metrics.eventsMade.inc({ type: e.type });
        updateQueueGauges();
        log.info({ lockId: lock.id, seq: item.event.seq, type: e.type }, 'lock event');
        events.emit('event', lock.id, item.event);
        forwarder.pump();
      } catch (err) {
        metrics.driverErrors.inc({ driver: lock.driver });
        log.error({ err, lockId: lock.id }, 'lock event refused');
      }
    },
  });

  // Heartbeat, with an interval the hub may change through cmd/config.
  const heartbeats = new HeartbeatSource();
  let heartbeatMs = tuning.heartbeatIntervalMs;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  const sendHeartbeat = () => {
    const hb = heartbeats.next({ ts: clock.now(), queued: queue.depth, dropped: queue.dropped, armed: state.get().armed });
    link.publish(topics.heartbeat(device), JSON.stringify(hb), { qos: 0 });
  };
  const restartHeartbeat = () => {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    heartbeatTimer = stopped ? null : setInterval(sendHeartbeat, heartbeatMs);
  };

  const commandCtx: CommandContext = {
    state,
    cameras,
    hooks: options.hooks ?? {},
    log,
    clock,
    applySettings: (s: RuntimeSettings) => {
      if (s.logLevel) log.level = s.logLevel;
      if (s.heartbeatIntervalS) {
        heartbeatMs = s.heartbeatIntervalS * 1000;
        restartHeartbeat();
      }
    },
  };

  function publishRegistration(): void {
    const reg = buildRegistration(config, cameras, clock.now(), log);
    link.publish(topics.register(device), JSON.stringify(reg), { qos: 1 });
  }

  link.on('up', () => {
    publishRegistration();
    cameraSink.flush();
    forwarder.linkUp((topic, payload, cb) => {
      link.publish(topic, payload, { qos: 1 }, cb);
    });
    sendHeartbeat();
    events.emit('up');
  });
  link.on('down', () => {
    forwarder.linkDown();
    events.emit('down');
  });
  link.on('message', (topic, payload) => {
    handleCommand(device, topic, payload, commandCtx)
      .then((out) => {
        if (out.rejected) {
          metrics.commandsRejected.inc({ reason: out.rejected.reason });
          log.warn({ err: out.rejected.error, topic: topic.slice(0, 200) }, 'command refused');
        }
        if (out.command && out.reply) {
          metrics.commands.inc({ name: out.command, result: out.reply.ok ? 'ok' : 'error' });
          link.publish(topics.reply(device, out.command), JSON.stringify(out.reply), { qos: 1 });
          events.emit('command', out.command, out.reply.ok);
        }
        out.after?.();
      })
      .catch((err: unknown) => log.error({ err }, 'command handling failed'));
  });

  link.start();
  restartHeartbeat();
  await drivers.start();
  for (const c of cameras) {
    try {
      await c.start(cameraSink);
    } catch (err) {
      log.error({ err }, 'camera provider failed to start');
    }
  }

  return {
    device,
    metrics,
    log,
    events,
    publishFrame: cameraSink.publishFrame,
    publishCameraState: cameraSink.publishCameraState,
    announce: cameraSink.announce,
    connected: () => link.connected,
    whenConnected: () => (link.connected ? Promise.resolve() : new Promise<void>((resolve) => events.once('up', () => resolve()))),
    queueDepth: () => queue.depth,
    queueStatus: () => ({ memoryOnly: queue.memoryOnly, dropped: queue.dropped, storageOk: queue.storageOk }),
    state: () => state.get(),
    driver: (lockId) => drivers.get(lockId),
    simulator(lockId) {
      const d = drivers.get(lockId);
      if (!(d instanceof SimulatorDriver)) throw new KhoaError('KHOA_ERR_DRIVER', `lock ${lockId} is not simulated`, { lockId });
      return d;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      heartbeatTimer = null;
      await drivers.stop();
      await Promise.allSettled(cameras.map((c) => c.stop()));
      await link.stop();
      queue.close();
      log.info('agent stopped');
    },
  };
}

/** Runs a data-dir operation at start, turning a raw fs failure (EACCES, EROFS, ENOSPC) into a coded error naming the dir. */
function openStorage<T>(dataDir: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (err instanceof KhoaError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new KhoaError('KHOA_ERR_STORAGE', `data dir ${dataDir}: ${code}`, { dataDir, code }, { cause: err });
  }
}

/**
 * Camera code pulls in native modules (sharp) and ffmpeg; if it cannot load on this device the
 * agent still runs its locks, which matter more than pictures, and says why cameras are missing.
 */
async function loadConfiguredCameras(entries: readonly unknown[], log: Logger, metrics: AgentMetrics): Promise<CameraProvider[]> {
  try {
    return [await configuredCameras(entries, { log, registry: metrics.registry })];
  } catch (err) {
    log.error({ err }, 'camera support failed to load; running without cameras');
    return [];
  }
}
