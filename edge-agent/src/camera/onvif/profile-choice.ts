/** A media profile as the agent keeps it, with the values read from the camera already checked. */
export interface OnvifProfileInfo {
  token: string;
  name?: string;
  width?: number;
  height?: number;
  fps?: number;
  encoding?: string;
  /** rtsp:// URI without credentials (they are added only when ffmpeg connects). */
  rtspUri?: string;
  snapshotUri?: string;
}

/**
 * Picks the stream the agent analyses: the smallest profile that is still at least `minWidth`
 * wide (the sub-stream on almost every camera), since the Pi decodes every frame it reads and
 * the hub's detector works on crops of 300–500 px anyway. A profile named in config wins.
 */
export function chooseProfile(profiles: OnvifProfileInfo[], minWidth = 480, token?: string): OnvifProfileInfo | undefined {
  const usable = profiles.filter((p) => p.rtspUri !== undefined || p.snapshotUri !== undefined);
  if (token !== undefined) return usable.find((p) => p.token === token);
  const withRtsp = usable.filter((p) => p.rtspUri !== undefined);
  const pool = withRtsp.length > 0 ? withRtsp : usable;
  const sized = pool.filter((p) => p.width !== undefined) as (OnvifProfileInfo & { width: number })[];
  const bigEnough = sized.filter((p) => p.width >= minWidth).sort((a, b) => a.width - b.width);
  if (bigEnough[0]) return bigEnough[0];
  // Nothing reaches minWidth: take the largest there is rather than none.
  const largest = [...sized].sort((a, b) => b.width - a.width)[0];
  return largest ?? pool[0];
}
