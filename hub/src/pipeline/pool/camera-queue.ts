/** A frame waiting for its camera's worker. */
export interface QueuedFrame {
  /** The JPEG in its own ArrayBuffer, ready to transfer. */
  jpeg: ArrayBuffer;
  ts: number;
  seq?: number;
  /** Hub clock at arrival: staleness is judged on the hub's clock, not the camera's. */
  receivedAt: number;
  /** Put back once already, after the worker holding it died (it is not put back twice). */
  requeued?: boolean;
}

/**
 * Bounded per-camera queue where the newest frame wins: when full, the oldest frame is
 * pushed out; when taken, frames older than the age limit are dropped. A slow detector
 * then always works on the latest picture instead of falling further behind.
 */
export class CameraQueue {
  private frames: QueuedFrame[] = [];

  constructor(private readonly depth: number) {}

  get length(): number {
    return this.frames.length;
  }

  /** Adds a frame; returns the frame it pushed out, if any. */
  push(f: QueuedFrame): QueuedFrame | undefined {
    this.frames.push(f);
    return this.frames.length > this.depth ? this.frames.shift() : undefined;
  }

  /**
   * Puts back a frame a dead worker held but had not begun to analyse, ahead of the newer ones.
   * Returns it when the queue is full of newer frames: then it is superseded like any other.
   */
  requeue(f: QueuedFrame): QueuedFrame | undefined {
    if (this.frames.length >= this.depth) return f;
    this.frames.unshift(f);
    return undefined;
  }

  /** The oldest frame still fresh enough; `onStale` is called for each dropped one. */
  take(now: number, maxAgeMs: number, onStale: (f: QueuedFrame) => void): QueuedFrame | undefined {
    for (let f = this.frames.shift(); f; f = this.frames.shift()) {
      if (now - f.receivedAt <= maxAgeMs) return f;
      onStale(f);
    }
    return undefined;
  }

  clear(): number {
    const n = this.frames.length;
    this.frames = [];
    return n;
  }
}
