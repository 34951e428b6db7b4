import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const SYSTEM_FFMPEG = '/usr/bin/ffmpeg';

/**
 * The system ffmpeg when there is one (on Raspberry Pi OS it is built for the board's
 * hardware decoder), else the static build from @ffmpeg-installer/ffmpeg.
 */
export function ffmpegPath(): string {
  const fromEnv = process.env.KHOA_FFMPEG;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  if (existsSync(SYSTEM_FFMPEG)) return SYSTEM_FFMPEG;
  const require = createRequire(import.meta.url);
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}
