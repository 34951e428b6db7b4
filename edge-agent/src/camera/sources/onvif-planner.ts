import type { RegisteredCamera } from '@khoa/protocol';
import { readOnvifCamera, type OnvifCameraDetails, type OnvifTarget } from '../onvif/onvif-client.ts';
import { chooseProfile, type OnvifProfileInfo } from '../onvif/profile-choice.ts';
import { KhoaError } from '@khoa/protocol';
import type { Attempt, AttemptEnd, AttemptPlanner } from './attempt.ts';
import { RtspPlanner, type RtspPlan } from './rtsp-planner.ts';

export interface OnvifPlanOptions {
  target: OnvifTarget;
  profileToken?: string;
  minWidth: number;
  onvifTimeoutMs: number;
  /** The RTSP plan without URLs; they come from the camera. */
  rtsp: Omit<RtspPlan, 'url' | 'user' | 'pass' | 'snapshot'> & { snapshot?: Omit<NonNullable<RtspPlan['snapshot']>, 'url' | 'user' | 'pass'> };
  /** Re-read the camera (its URIs may have changed after a reboot or a new DHCP lease) after this many failed attempts in a row. */
  rereadAfterFailures: number;
}

/**
 * An ONVIF camera: reads it (device info, profiles, URIs) before the first attempt and again
 * after repeated failures, then captures like a plain RTSP camera from the chosen profile.
 */
export class OnvifPlanner implements AttemptPlanner {
  private details: OnvifCameraDetails | undefined;
  private profile: OnvifProfileInfo | undefined;
  private rtsp: RtspPlanner | undefined;
  private failures = 0;

  constructor(
    private readonly id: string,
    private readonly name: string | undefined,
    private readonly opts: OnvifPlanOptions,
  ) {}

  /** The camera as last read, for discovery listings and tests. */
  get camera(): { details?: OnvifCameraDetails; profile?: OnvifProfileInfo } {
    return { details: this.details, profile: this.profile };
  }

  async next(signal: AbortSignal): Promise<Attempt> {
    if (!this.rtsp || this.failures >= this.opts.rereadAfterFailures) {
      this.failures = 0;
      await this.read(signal);
    }
    return (this.rtsp as RtspPlanner).next();
  }

  private async read(signal: AbortSignal): Promise<void> {
    const details = await readOnvifCamera(this.opts.target, this.opts.onvifTimeoutMs);
    if (signal.aborted) return;
    const profile = chooseProfile(details.profiles, this.opts.minWidth, this.opts.profileToken);
    if (!profile) {
      throw new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', this.opts.profileToken ? `no media profile "${this.opts.profileToken}" with a stream` : 'no media profile with a stream or snapshot URI', {
        profiles: details.profiles.map((p) => p.token),
      });
    }
    this.details = details;
    this.profile = profile;
    const { user, pass } = this.opts.target;
    const s = this.opts.rtsp.snapshot;
    const plan: RtspPlan = {
      ...this.opts.rtsp,
      url: profile.rtspUri,
      user,
      pass,
      snapshot: s && profile.snapshotUri ? { ...s, url: profile.snapshotUri, user, pass } : undefined,
    };
    if (this.rtsp) this.rtsp.update(plan);
    else this.rtsp = new RtspPlanner(plan, () => this.describe());
  }

  ended(attempt: Attempt, end: AttemptEnd): void {
    this.failures = end.frames > 0 ? 0 : this.failures + 1;
    this.rtsp?.ended(attempt, end);
  }

  describe(): RegisteredCamera {
    const d = this.details;
    const p = this.profile;
    const out: RegisteredCamera = { id: this.id, source: 'onvif' };
    if (this.name) out.name = this.name;
    if (d?.manufacturer) out.manufacturer = d.manufacturer;
    if (d?.model) out.model = d.model;
    if (d?.firmware) out.firmware = d.firmware;
    if (p?.width) out.width = p.width;
    if (p?.height) out.height = p.height;
    if (p?.fps) out.fps = p.fps;
    return out;
  }
}
