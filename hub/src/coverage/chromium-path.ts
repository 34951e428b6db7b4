import { existsSync } from 'node:fs';
import { KhoaError } from '@khoa/protocol';

/**
 * The Chromium that prints reports: KHOA_CHROMIUM when set, else Debian's package, else the
 * build that @sparticuz/chromium unpacks from npm, so a hub installed with `npm install` alone
 * can still print (a fresh machine may have no apt access).
 */
export async function chromiumPath(): Promise<string> {
  const fromEnv = process.env.KHOA_CHROMIUM;
  if (fromEnv) return fromEnv;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    const mod = (await import('@sparticuz/chromium')) as { default: { executablePath(): Promise<string> } };
    return await mod.default.executablePath();
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `no Chromium to print with: install Debian's chromium or set KHOA_CHROMIUM (the npm fallback failed: ${(err as Error).message.split('\n')[0]})`, { setting: 'KHOA_CHROMIUM' }, { cause: err });
  }
}
