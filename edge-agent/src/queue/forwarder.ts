import type { Logger } from '../log.ts';
import type { EventQueue } from './event-queue.ts';

/** Hands one payload to the link with QoS 1; the callback fires on PUBACK (or with an error). */
export type Publish = (topic: string, payload: string, cb: (err?: Error) => void) => void;

export interface ForwarderOptions {
  topicFor: (lockId: string) => string;
  /** Events in flight at once. MQTT keeps QoS 1 order on one connection, so order holds for any window. */
  window: number;
  onPublished: (seq: number) => void;
  log: Logger;
}

/**
 * Sends the queue to the hub in seq order and removes each event only when its PUBACK arrives.
 * On a new connection it starts again from the oldest unacknowledged event, so the backlog
 * always goes before newer events. Callbacks from an earlier connection are ignored by
 * generation: their events are resent on the new one (QoS 1 is at-least-once; the hub keys
 * events by device and seq).
 */
export class Forwarder {
  private publishFn: Publish | null = null;
  private generation = 0;
  private inFlight = 0;
  /** Entries with a lower seq have been handed to the current connection. */
  private nextSeq = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly opts: ForwarderOptions,
  ) {}

  linkUp(publish: Publish): void {
    this.reset();
    this.publishFn = publish;
    this.pump();
  }

  linkDown(): void {
    this.reset();
  }

  get inflight(): number {
    return this.inFlight;
  }

  /** Sends whatever fits in the window; call after every append. */
  pump(): void {
    const publish = this.publishFn;
    if (!publish) return;
    const gen = this.generation;
    // Take the batch first: acks may splice the live queue array.
    const batch = [];
    for (const item of this.queue.entries()) {
      if (this.inFlight + batch.length >= this.opts.window) break;
      if (item.event.seq >= this.nextSeq) batch.push(item);
    }
    for (const item of batch) {
      const seq = item.event.seq;
      this.nextSeq = seq + 1;
      this.inFlight++;
      publish(this.opts.topicFor(item.lockId), JSON.stringify(item.event), (err) => {
        if (gen !== this.generation) return;
        this.inFlight--;
        if (err) {
          // mqtt.js reports an error only when the client is closing; the link's `down` follows
          // and the event is resent from the queue on the next connection.
          this.opts.log.debug({ seq, err: err.message }, 'event publish failed; will resend');
          return;
        }
        if (this.queue.ack(seq)) this.opts.onPublished(seq);
        this.pump();
      });
    }
  }

  private reset(): void {
    this.generation++;
    this.publishFn = null;
    this.inFlight = 0;
    this.nextSeq = 0;
  }
}
