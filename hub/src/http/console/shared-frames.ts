import type { Aedes, AedesPublishPacket } from 'aedes';
import { decodeFrame, topics, type DeviceRef } from '@khoa/protocol';

interface Watch {
  topic: string;
  until: number;
  latest?: { jpeg: Buffer; ts: number; receivedAt: number };
  deliver: (packet: AedesPublishPacket, cb: () => void) => void;
}

/**
 * The latest frame of each camera a household currently shares with police. Frames already pass
 * through the embedded broker; this listens to a camera's frame topic only while its share
 * lasts (asked for on demand, dropped when it ends), keeps one JPEG per camera, and keeps
 * nothing once the share is over. Frames are motion-gated plus a periodic keyframe on the agent,
 * so "latest" may be a few seconds old; the page shows its time. With an external broker
 * (scale-out mode) frames bypass aedes and this view has nothing to show.
 */
export class SharedFrames {
  readonly #watches = new Map<string, Watch>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly broker: () => Aedes,
    private readonly now: () => number,
  ) {
    this.#sweep = setInterval(() => this.#dropExpired(), 30_000);
    this.#sweep.unref();
  }

  /** Starts (or extends) listening to a shared camera; returns its latest frame if one arrived. */
  watch(dev: DeviceRef, cameraId: string, until: number): Watch['latest'] {
    const topic = topics.camFrame(dev, cameraId);
    let w = this.#watches.get(topic);
    if (!w) {
      const watch: Watch = {
        topic,
        until,
        deliver: (packet, cb) => {
          cb();
          const f = decodeFrame(packet.payload as Buffer);
          // A copy: the payload buffer belongs to the broker's packet.
          if (f.ok) watch.latest = { jpeg: Buffer.from(f.value.jpeg), ts: f.value.header.ts, receivedAt: this.now() };
        },
      };
      w = watch;
      this.#watches.set(topic, w);
      this.broker().subscribe(topic, w.deliver, () => {});
    }
    w.until = Math.max(w.until, until);
    return w.latest;
  }

  /** Forgets a household's cameras at once when it stops sharing. */
  stopHousehold(householdId: string): void {
    for (const [topic, w] of this.#watches) if (topic.split('/')[2] === householdId) this.#drop(topic, w);
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const [topic, w] of this.#watches) this.#drop(topic, w);
  }

  #dropExpired(): void {
    const now = this.now();
    for (const [topic, w] of this.#watches) if (w.until <= now) this.#drop(topic, w);
  }

  #drop(topic: string, w: Watch): void {
    this.#watches.delete(topic);
    w.latest = undefined;
    this.broker().unsubscribe(topic, w.deliver, () => {});
  }
}
