import type { PublishPacket } from 'aedes';
import { KhoaError, type ParsedTopic } from '@khoa/protocol';
import type { DeviceIdentity } from '../broker/identity.ts';
import { deviceLogger, type Logger } from '../log.ts';
import type { DeviceMessage, Handler, IngestContext } from './context.ts';
import { handlers } from './handlers/index.ts';
import { PayloadRejected } from './payload.ts';

/**
 * Turns authorised device publishes into stored state, events and rule inputs.
 *
 * Runs before the broker acknowledges the publish (see BeforeAck), so a QoS 1 event is
 * PUBACKed only once stored. Messages of one device are handled in arrival order (a chain per
 * device), because the rules depend on the order of lock states; different devices run
 * concurrently. Frames skip the chain: they must not wait behind database writes.
 *
 * A bad payload is dropped, counted by reason and logged with the device's ids, and still
 * acknowledged (resending garbage would not fix it). A failure of the hub itself (storage)
 * rejects, so the broker drops the connection and the agent resends later.
 */
export class Ingest {
  readonly #chains = new Map<string, Promise<void>>();
  /** One child logger per connection, not per message (this is the broker's hot path). */
  readonly #loggers = new WeakMap<DeviceIdentity, Logger>();
  #accepting = true;

  constructor(
    private readonly ctx: IngestContext,
    private readonly log: Logger,
  ) {}

  readonly beforeAck = (who: DeviceIdentity, topic: ParsedTopic, packet: PublishPacket): Promise<void> => {
    if (!this.#accepting) return Promise.reject(new KhoaError('KHOA_ERR_STORAGE', 'hub is stopping'));
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    let log = this.#loggers.get(who);
    if (!log) this.#loggers.set(who, (log = deviceLogger(this.log, who)));
    const msg: DeviceMessage = { who, topic, payload, receivedAt: this.ctx.now(), log };
    this.ctx.metrics.messagesIn.inc({ kind: topic.kind });
    if (topic.kind === 'cam_frame') return this.#handle(msg);
    const previous = this.#chains.get(who.deviceId) ?? Promise.resolve();
    const next = previous.then(() => this.#handle(msg));
    // The chain itself never rejects, so one failure does not poison the device's later messages.
    const tail = next.catch(() => {});
    this.#chains.set(who.deviceId, tail);
    void tail.then(() => {
      if (this.#chains.get(who.deviceId) === tail) this.#chains.delete(who.deviceId);
    });
    return next;
  };

  async #handle(msg: DeviceMessage): Promise<void> {
    const kind = msg.topic.kind;
    const handler = (handlers as Record<string, Handler<typeof kind> | undefined>)[kind];
    const end = this.ctx.metrics.ingestSeconds.startTimer({ kind });
    try {
      if (!handler) throw new PayloadRejected('schema', new KhoaError('KHOA_ERR_TOPIC_INVALID', `no handler for ${kind}`));
      await handler(this.ctx, msg as never);
    } catch (err) {
      if (err instanceof PayloadRejected) {
        this.ctx.metrics.payloadRejected.inc({ kind, reason: err.reason });
        msg.log.warn({ err: err.error.toJSON(), kind, reason: err.reason, bytes: msg.payload.length }, 'payload dropped');
        return;
      }
      this.ctx.metrics.ingestFailures.inc({ kind });
      msg.log.error({ err, kind }, 'message handling failed; publish not acknowledged');
      throw err;
    } finally {
      end();
    }
  }

  /** Refuses new messages and waits for those in progress. */
  async stop(): Promise<void> {
    this.#accepting = false;
    await Promise.all(this.#chains.values());
  }
}
