import onvif from 'node-onvif';
import type { DeviceInformation, Profile } from 'node-onvif';
import { KhoaError } from '@khoa/protocol';
import { classifyOnvifError } from './errors.ts';
import type { OnvifProfileInfo } from './profile-choice.ts';

/**
 * The only file that touches node-onvif. It is old (2018), exports a singleton, reports
 * errors as bare strings and throws on odd replies, so everything it returns is re-checked
 * here and every failure leaves as a coded KhoaError.
 */

export interface OnvifTarget {
  /** Device service URL, e.g. `http://192.168.1.20/onvif/device_service`. */
  xaddr?: string;
  /** `host` or `host:port`; the device service is assumed at the standard path. */
  address?: string;
  user?: string;
  pass?: string;
}

export interface OnvifCameraDetails {
  xaddr: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  profiles: OnvifProfileInfo[];
}

export interface DiscoveredCamera {
  /** WS-Addressing endpoint reference, stable per device. */
  urn: string;
  name?: string;
  hardware?: string;
  xaddrs: string[];
}

export interface ProbeOptions {
  /** How long to listen for answers; node-onvif's default is 3 s. */
  waitMs?: number;
  /** Where probes go; the WS-Discovery multicast group unless a test points it at a simulator. */
  address?: string;
  port?: number;
}

/** node-onvif aborts each SOAP request after this long (its own constant, shared by the singleton). */
export const ONVIF_HTTP_TIMEOUT_MS = onvif._OnvifSoap.HTTP_TIMEOUT;

const MAX_TEXT = 80;

function text(v: unknown): string | undefined {
  // xml2js gives `{ _: 'text', $: {attrs} }` when an element has attributes.
  const s = typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { _?: unknown })._ === 'string' ? (v as { _: string })._ : undefined;
  // Control characters from a camera would end up in logs and in the hub's registry.
  const t = s === undefined ? undefined : [...s].filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f).join('').trim();
  return t ? t.slice(0, MAX_TEXT) : undefined;
}

function dimension(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16384 ? v : undefined;
}

/** Accepts only absolute URLs with one of `protocols`; anything else from a camera is ignored. */
export function checkedUrl(v: unknown, protocols: string[]): string | undefined {
  if (typeof v !== 'string' || v.length > 2048) return undefined;
  try {
    const u = new URL(v);
    return protocols.includes(u.protocol) && u.hostname ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Turns a config target into the device service URL; manual add by address uses ONVIF's standard path. */
export function deviceServiceUrl(t: OnvifTarget): string {
  if (t.xaddr !== undefined) {
    const u = checkedUrl(t.xaddr, ['http:', 'https:']);
    if (!u) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `onvif.xaddr is not an http(s) URL`, { field: 'onvif.xaddr' });
    return u;
  }
  if (t.address !== undefined && /^[A-Za-z0-9.\-[\]:]+$/.test(t.address)) {
    // node-onvif's own `address` mode rewrites the host of every URI the camera returns,
    // dropping the RTSP port, so the agent turns an address into an xaddr itself.
    return `http://${t.address}/onvif/device_service`;
  }
  throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'onvif needs xaddr or address', { field: 'onvif' });
}

function profileInfo(p: Profile): OnvifProfileInfo | undefined {
  const token = text(p?.token);
  if (!token) return undefined;
  const enc = p.video?.encoder;
  const fps = enc && Number.isFinite(enc.framerate) && enc.framerate > 0 && enc.framerate <= 240 ? enc.framerate : undefined;
  return {
    token,
    name: text(p.name),
    width: dimension(enc?.resolution?.width),
    height: dimension(enc?.resolution?.height),
    fps,
    encoding: text(enc?.encoding),
    rtspUri: checkedUrl(p.stream?.rtsp, ['rtsp:', 'rtsps:']),
    snapshotUri: checkedUrl(p.snapshot, ['http:', 'https:']),
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string, context: Record<string, unknown>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KhoaError('KHOA_ERR_CAMERA_TIMEOUT', `${what} took longer than ${ms} ms`, context)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Reads device information, media profiles, stream and snapshot URIs (node-onvif's `init()`:
 * GetSystemDateAndTime, GetCapabilities, GetDeviceInformation, GetProfiles, GetStreamUri,
 * GetSnapshotUri, with a WS-UsernameToken digest on each call).
 */
export async function readOnvifCamera(target: OnvifTarget, timeoutMs = 20_000): Promise<OnvifCameraDetails> {
  const xaddr = deviceServiceUrl(target);
  const context = { xaddr };
  const started = Date.now();
  let device: InstanceType<typeof onvif.OnvifDevice>;
  try {
    device = new onvif.OnvifDevice({ xaddr, user: target.user ?? '', pass: target.pass ?? '' });
  } catch (err) {
    // Its constructor refuses non-ASCII or `<>` in credentials.
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `onvif settings refused: ${err instanceof Error ? err.message : String(err)}`, context);
  }
  let info: DeviceInformation | null;
  try {
    // An init() that throws inside node-onvif's callbacks can leave its promise pending forever; the deadline bounds it.
    await withDeadline(device.init(), timeoutMs, `reading camera at ${xaddr}`, context);
    info = device.getInformation();
  } catch (err) {
    throw classifyOnvifError(err, { doing: `reading camera at ${xaddr}`, elapsedMs: Date.now() - started, httpTimeoutMs: ONVIF_HTTP_TIMEOUT_MS, context });
  }
  let rawProfiles: Profile[];
  try {
    rawProfiles = device.getProfileList();
  } catch (err) {
    throw classifyOnvifError(err, { doing: `reading profiles of ${xaddr}`, elapsedMs: 0, httpTimeoutMs: ONVIF_HTTP_TIMEOUT_MS, context });
  }
  const profiles = (Array.isArray(rawProfiles) ? rawProfiles : []).map(profileInfo).filter((p): p is OnvifProfileInfo => p !== undefined);
  if (profiles.length === 0) throw new KhoaError('KHOA_ERR_CAMERA_PROTOCOL', `camera at ${xaddr} reported no usable media profile`, context);
  return {
    xaddr,
    manufacturer: text(info?.Manufacturer),
    model: text(info?.Model),
    firmware: text(info?.FirmwareVersion),
    serial: text(info?.SerialNumber),
    profiles,
  };
}

// node-onvif keeps one UDP socket and one result map on its singleton, so probes must not overlap.
let probeChain: Promise<unknown> = Promise.resolve();

/** WS-Discovery: sends Probe messages and collects the ProbeMatches that arrive within `waitMs`. */
export function probeOnvif(opts: ProbeOptions = {}): Promise<DiscoveredCamera[]> {
  const run = async (): Promise<DiscoveredCamera[]> => {
    const saved = { address: onvif._MULTICAST_ADDRESS, port: onvif._PORT, wait: onvif._DISCOVERY_WAIT };
    onvif._MULTICAST_ADDRESS = opts.address ?? saved.address;
    onvif._PORT = opts.port ?? saved.port;
    onvif._DISCOVERY_WAIT = opts.waitMs ?? saved.wait;
    try {
      const found = await withDeadline(onvif.startProbe(), (opts.waitMs ?? saved.wait) + 5000, 'WS-Discovery probe', {});
      const out: DiscoveredCamera[] = [];
      for (const d of Array.isArray(found) ? found : []) {
        const urn = text(d?.urn);
        const xaddrs = (Array.isArray(d?.xaddrs) ? d.xaddrs : []).map((x) => checkedUrl(x, ['http:', 'https:'])).filter((x): x is string => !!x);
        if (urn && xaddrs.length > 0) out.push({ urn, name: text(d.name), hardware: text(d.hardware), xaddrs });
      }
      return out;
    } catch (err) {
      await onvif.stopProbe().catch(() => undefined);
      throw classifyOnvifError(err, { doing: 'WS-Discovery probe', elapsedMs: 0, httpTimeoutMs: ONVIF_HTTP_TIMEOUT_MS });
    } finally {
      onvif._MULTICAST_ADDRESS = saved.address;
      onvif._PORT = saved.port;
      onvif._DISCOVERY_WAIT = saved.wait;
    }
  };
  const p = probeChain.then(run, run);
  probeChain = p.catch(() => undefined);
  return p;
}
