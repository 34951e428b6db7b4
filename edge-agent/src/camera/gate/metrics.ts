import { Counter, Gauge, Registry } from 'prom-client';

/**
 * What the gate keeps and drops, per camera, in frames and bytes: the figures that show how
 * much network and hub work the edge saves. `overrun` counts frames dropped because the gate
 * was still busy with an earlier one (the Pi is too slow for the configured fps).
 */
export type FrameDecision = 'sent' | 'dropped' | 'overrun';

export class CameraMetrics {
  readonly frames: Counter<'camera' | 'decision'>;
  readonly bytes: Counter<'camera' | 'decision'>;
  readonly state: Gauge<'camera' | 'state'>;

  constructor(readonly registry: Registry = new Registry()) {
    this.frames = new Counter({ name: 'khoa_agent_camera_frames_total', help: 'Captured camera frames by gate decision', labelNames: ['camera', 'decision'], registers: [registry] });
    this.bytes = new Counter({ name: 'khoa_agent_camera_bytes_total', help: 'JPEG bytes of captured camera frames by gate decision', labelNames: ['camera', 'decision'], registers: [registry] });
    this.state = new Gauge({ name: 'khoa_agent_camera_state', help: '1 for the state each camera is in', labelNames: ['camera', 'state'], registers: [registry] });
  }

  count(camera: string, decision: FrameDecision, bytes: number): void {
    this.frames.inc({ camera, decision });
    this.bytes.inc({ camera, decision }, bytes);
  }

  setState(camera: string, state: string, all: readonly string[]): void {
    for (const s of all) this.state.set({ camera, state: s }, s === state ? 1 : 0);
  }
}
