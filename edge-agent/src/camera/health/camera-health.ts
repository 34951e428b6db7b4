import type { CameraState, CameraStateMessage } from '@khoa/protocol';
import type { SourceStatus } from '../types.ts';

/**
 * A camera's published state, from two inputs: the source's (streaming, reconnecting, lost)
 * and the gate's judgement of the pictures (blinded). `update` returns a message only when the
 * state changes, since `…/cam/{id}/state` is retained and each change can raise an alert.
 */
export class CameraHealth {
  private source: SourceStatus | undefined;
  private blinded = false;
  private published: CameraStateMessage | undefined;

  setSource(s: SourceStatus): CameraStateMessage | undefined {
    this.source = s;
    // A new connection has not shown a picture yet; blindness is judged again from its frames.
    if (s.state !== 'streaming') this.blinded = false;
    return this.evaluate(s.since);
  }

  setBlinded(blinded: boolean, ts: number): CameraStateMessage | undefined {
    if (blinded === this.blinded) return undefined;
    this.blinded = blinded;
    return this.evaluate(ts);
  }

  current(): CameraStateMessage | undefined {
    return this.published;
  }

  private evaluate(ts: number): CameraStateMessage | undefined {
    if (!this.source) return undefined;
    const state: CameraState = this.source.state === 'streaming' && this.blinded ? 'blinded' : this.source.state;
    if (this.published?.state === state) return undefined;
    const msg: CameraStateMessage = { state, ts: Math.max(0, Math.round(ts)) };
    const detail = state === 'blinded' ? 'picture dark or uniform (covered, blocked or no IR)' : this.source.detail;
    const via = this.source.via && state === 'streaming' ? `via ${this.source.via}` : undefined;
    const text = [via, detail].filter(Boolean).join('; ');
    if (text) msg.detail = text.slice(0, 200);
    this.published = msg;
    return msg;
  }
}
