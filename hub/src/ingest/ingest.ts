import type { PublishPacket } from 'aedes';
import { KhoaError, type ParsedTopic } from '@khoa/protocol';
import type { DeviceIdentity } from '../broker/identity.ts';
import { deviceLogger, type Logger } from '../log.ts';
import type { AfterAck, DeviceMessage, Handler, IngestContext } from './context.ts';
import { handlers, pipelinedKinds } from './handlers/index.ts';
import { PayloadRejected } from './payload.ts';

/** Where a device's message order stands. */
interface DeviceLane {
  /** Settles when the device's next message may start its handler. */
  gate: Promise<void>;
  /** Settles when every message of the device so far is finished, after-ack work included. Never rejects. */
  done: Promise<void>;
  /** The device's latest message is of a pipelined kind. */
  lastPipelined: boolean;
  /** The latest message's handler has started (for a pipelined one: its write is queued). */
  started: boolean;
}

/** The labelled children of the per-kind ingest metrics. */
interface KindMetrics {
  received: { inc(): void };
  seconds: { startTimer(): () => void };
}

const settled: Promise<void> = Promise.resolve();
const ignore = (): void => {};

/**
 * Turns authorised device publishes into stored state, events and rule inputs.
 *
 * Runs before the broker acknowledges the publish (see BeforeAck), so a QoS 1 event is
 * PUBACKed only once stored (a QoS 0 lock event, which has no PUBACK, is let through once its
 * write is queued). A handler may return work for after the acknowledgement (a lock
 * event's rules). A device's messages are handled in arrival order, because the rules depend
 * on the order of lock states: the after-ack work of each runs only once the device's earlier
 * messages are finished, and a message starts once its predecessor is finished, except the
 * pipelined kinds (handlers/index.ts), which start as soon as the predecessor of the same kind
 * has queued its write. Different devices run concurrently. Frames skip the ordering: they must
 * not wait behind database writes.
 *
 * A bad payload is dropped, counted by reason and logged with the device's ids, and still
 * acknowledged (resending garbage would not fix it). A failure of the hub itself (storage)
 * rejects, so the broker drops the connection and the agent resends later.
 */
export class Ingest {
  readonly #devices = new Map<string, DeviceLane>();
  /** One child logger per connection, not per message (this is the broker's hot path). */
  readonly #loggers = new WeakMap<DeviceIdentity, Logger>();
  /** Labelled metric children per topic kind: prom-client hashes the labels on every call otherwise. */
  readonly #byKind = new Map<string, KindMetrics>();
  #accepting = true;

  constructor(
    private readonly ctx: IngestContext,
    private readonly log: Logger,
  ) {}

  readonly beforeAck = (who: DeviceIdentity, topic: ParsedTopic, packet: PublishPacket): Promise<unknown> => {
    if (!this.#accepting) return Promise.reject(new KhoaError('KHOA_ERR_STORAGE', 'hub is stopping'));
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    let log = this.#loggers.get(who);
    if (!log) this.#loggers.set(who, (log = deviceLogger(this.log, who)));
    const msg: DeviceMessage = { who, topic, payload, receivedAt: this.ctx.now(), log };
    this.#metricsOf(topic.kind).received.inc();
    if (topic.kind === 'cam_frame') return this.#ack(msg).then((after) => this.#after(msg, after));

    const id = who.deviceId;
    const before = this.#devices.get(id);
    const pipelined = this.ctx.lockEvents.inCallOrder && pipelinedKinds.has(topic.kind);
    const order: DeviceLane = { gate: settled, done: settled, lastPipelined: pipelined, started: false };
    let acked: Promise<AfterAck | undefined>;
    if (!before || (pipelined && before.lastPipelined && before.started)) {
      // Nothing to wait for (a pipelined message behind one that has queued its write): start
      // now, without the promise hops (this runs for every lock event of a flood).
      order.started = true;
      acked = this.#ack(msg);
    } else {
      // A pipelined message may follow a pipelined one as soon as that one has queued its write;
      // anything else waits for everything before it.
      const started = (pipelined && before.lastPipelined ? before.gate : before.done).then(() => {
        order.started = true;
        // Wrapped: a promise returned bare would make `started` wait for the ack itself.
        return { acked: this.#ack(msg) };
      });
      order.gate = started.then(ignore);
      acked = started.then((s) => s.acked);
    }
    // The ack's failure is the broker's to handle (below); nothing runs after it.
    const afterAck = before
      ? acked.then((after) => before.done.then(() => this.#after(msg, after)), ignore)
      : acked.then((after) => this.#after(msg, after), ignore);
    order.done = afterAck.then(() => {
      if (this.#devices.get(id) === order) this.#devices.delete(id);
    });
    if (!pipelined) order.gate = order.done;
    this.#devices.set(id, order);
    // QoS 0 has no acknowledgement to withhold. Once the event's write is queued (it commits in
    // this turn or the next, in the device's order), the broker may read the device's next
    // packets: waiting for the commit only stalled a QoS 0 publisher's socket, and the hub sat
    // idle a third of a QoS 0 flood (bench broker). A failed write is still counted and logged;
    // it no longer drops the connection, which for QoS 0 brought nothing back anyway.
    if (packet.qos === 0 && pipelined && order.started) return settled;
    return acked;
  };

  #metricsOf(kind: string): KindMetrics {
    let m = this.#byKind.get(kind);
    if (!m) {
      m = { received: this.ctx.metrics.messagesIn.labels({ kind }), seconds: this.ctx.metrics.ingestSeconds.labels({ kind }) };
      this.#byKind.set(kind, m);
    }
    return m;
  }

  /**
   * The handler up to the acknowledgement; resolves with its after-ack work, if any. Not an
   * async function, nor is #after: each lock event of a flood paid a kilobyte and a half of
   * async frames here, which the garbage collector then had to sweep.
   */
  #ack(msg: DeviceMessage): Promise<AfterAck | undefined> {
    const kind = msg.topic.kind;
    const handler = (handlers as Record<string, Handler<typeof kind> | undefined>)[kind];
    const end = this.#metricsOf(kind).seconds.startTimer();
    let handled: Promise<void | AfterAck>;
    try {
      if (!handler) throw new PayloadRejected('schema', new KhoaError('KHOA_ERR_TOPIC_INVALID', `no handler for ${kind}`));
      handled = handler(this.ctx, msg as never);
    } catch (err) {
      handled = Promise.reject(err);
    }
    return handled.then(
      (after) => {
        end();
        return after ?? undefined;
      },
      (err: unknown) => {
        end();
        if (err instanceof PayloadRejected) {
          this.ctx.metrics.payloadRejected.inc({ kind, reason: err.reason });
          msg.log.warn({ err: err.error.toJSON(), kind, reason: err.reason, bytes: msg.payload.length }, 'payload dropped');
          return undefined;
        }
        this.ctx.metrics.ingestFailures.inc({ kind });
        msg.log.error({ err, kind }, 'message handling failed; publish not acknowledged');
        throw err;
      },
    );
  }

  /**
   * Work after the acknowledgement. A failure here is counted and logged but cannot refuse the
   * message any more; what it leaves unfinished (an event's rules) the resume sweep finishes.
   */
  #after(msg: DeviceMessage, after: AfterAck | undefined): Promise<unknown> | void {
    if (!after) return;
    let result: Promise<unknown> | void;
    try {
      result = after();
    } catch (err) {
      return this.#afterFailed(msg, err);
    }
    return result?.then(undefined, (err: unknown) => this.#afterFailed(msg, err));
  }

  #afterFailed(msg: DeviceMessage, err: unknown): void {
    this.ctx.metrics.ingestFailures.inc({ kind: msg.topic.kind });
    msg.log.error({ err, kind: msg.topic.kind }, 'handling after the acknowledgement failed; left to the resume sweep');
  }

  /** Refuses new messages and waits for those in progress, after-ack work included. */
  async stop(): Promise<void> {
    this.#accepting = false;
    await Promise.all([...this.#devices.values()].map((d) => d.done));
    await this.ctx.lockEvents.flush();
  }
}
