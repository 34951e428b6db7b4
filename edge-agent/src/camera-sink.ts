import { cameraStateValidator, encodeFrame, frameHeaderValidator, isValidId, topics, type CameraStateMessage, type DeviceRef, type FrameHeader } from '@khoa/protocol';
import type { CameraSink } from './cameras.ts';
import type { MqttLink } from './link/mqtt-link.ts';
import type { Logger } from './log.ts';
import type { AgentMetrics } from './metrics.ts';

/**
 * What camera providers publish through. Frames go out QoS 0 or are dropped (a frame from a
 * minute ago is worth nothing to the hub), also when the uplink cannot keep up; camera states are retained and only the latest per
 * camera is kept while offline, sent again by `flush` on reconnect. Everything is checked
 * against the protocol before it reaches the wire.
 */
export class CameraPublisher implements CameraSink {
  private readonly pending = new Map<string, CameraStateMessage>();

  constructor(
    private readonly o: {
      link: MqttLink;
      device: DeviceRef;
      metrics: AgentMetrics;
      log: Logger;
      announce: () => void;
      /** Frames are dropped while more than this many bytes wait to leave (a slow uplink). */
      frameBacklogBytes: number;
    },
  ) {}

  publishFrame = (cameraId: string, header: FrameHeader, jpeg: Uint8Array): boolean => {
    const { link, device, metrics, log } = this.o;
    const h = frameHeaderValidator.check(header);
    if (!h.ok || !isValidId(cameraId)) {
      metrics.framesDropped.inc({ reason: 'invalid' });
      log.warn({ cameraId: String(cameraId).slice(0, 64), err: h.ok ? 'invalid camera id' : h.error }, 'frame refused');
      return false;
    }
    let payload: Buffer;
    try {
      payload = encodeFrame(h.value, jpeg);
    } catch (err) {
      metrics.framesDropped.inc({ reason: 'invalid' });
      log.warn({ cameraId, err }, 'frame refused');
      return false;
    }
    // QoS 0 has no flow control of its own: on an uplink slower than the cameras, unsent frames
    // would pile up in memory. Past the backlog the newest frames are dropped instead; they are
    // stale by the time they could leave, and lock events (small) still get through.
    if (link.bufferedBytes() > this.o.frameBacklogBytes) {
      metrics.framesDropped.inc({ reason: 'backlog' });
      return false;
    }
    if (!link.publish(topics.camFrame(device, cameraId), payload, { qos: 0 })) {
      metrics.framesDropped.inc({ reason: 'offline' });
      return false;
    }
    metrics.framesPublished.inc();
    return true;
  };

  publishCameraState = (cameraId: string, msg: CameraStateMessage): void => {
    const checked = cameraStateValidator.check(msg);
    if (!checked.ok || !isValidId(cameraId)) {
      this.o.log.warn({ cameraId: String(cameraId).slice(0, 64), err: checked.ok ? 'invalid camera id' : checked.error }, 'camera state refused');
      return;
    }
    if (this.send(cameraId, checked.value)) this.pending.delete(cameraId);
    else this.pending.set(cameraId, checked.value);
  };

  announce = (): void => {
    if (this.o.link.connected) this.o.announce();
  };

  /** Sends the states held back while offline; called when the link comes up. */
  flush(): void {
    for (const [cameraId, msg] of this.pending) if (this.send(cameraId, msg)) this.pending.delete(cameraId);
  }

  private send(cameraId: string, msg: CameraStateMessage): boolean {
    return this.o.link.publish(topics.camState(this.o.device, cameraId), JSON.stringify(msg), { qos: 1, retain: true });
  }
}
