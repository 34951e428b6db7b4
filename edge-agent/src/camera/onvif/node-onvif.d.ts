/**
 * The part of node-onvif 0.1.7 (no types of its own) that `onvif-client.ts` uses. Only that
 * file imports the module; nothing else in the agent sees these shapes.
 */
declare module 'node-onvif' {
  interface ProbeResult {
    urn: string;
    name: string;
    hardware: string;
    location: string;
    types: string[] | string;
    xaddrs: string[];
    scopes: string[];
  }

  interface DeviceInformation {
    Manufacturer?: unknown;
    Model?: unknown;
    FirmwareVersion?: unknown;
    SerialNumber?: unknown;
    HardwareId?: unknown;
  }

  interface Profile {
    token: string;
    name: string;
    snapshot: string;
    stream: { udp: string; http: string; rtsp: string };
    video: {
      source: { token: string; name: string; bounds: { width: number; height: number; x: number; y: number } } | null;
      encoder: {
        token: string;
        name: string;
        resolution: { width: number; height: number };
        quality: number;
        framerate: number;
        bitrate: number;
        encoding: string;
      } | null;
    };
  }

  export class OnvifDevice {
    constructor(params: { xaddr?: string; address?: string; user?: string; pass?: string });
    init(): Promise<DeviceInformation>;
    getInformation(): DeviceInformation | null;
    getProfileList(): Profile[];
  }

  interface Onvif {
    OnvifDevice: typeof OnvifDevice;
    startProbe(): Promise<ProbeResult[]>;
    stopProbe(): Promise<void>;
    /** Private, but the only way to point a probe at something other than 239.255.255.250:3702. */
    _MULTICAST_ADDRESS: string;
    _PORT: number;
    _DISCOVERY_WAIT: number;
    _OnvifSoap: { HTTP_TIMEOUT: number };
  }

  const onvif: Onvif;
  export default onvif;
  export type { ProbeResult, DeviceInformation, Profile };
}
