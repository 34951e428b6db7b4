import fs from 'node:fs/promises';
import path from 'node:path';
import { KhoaError } from '@khoa/protocol';

/**
 * Labels of the chips that drive a Raspberry Pi's 40-pin header: BCM2835 (Pi 1-3, Zero),
 * BCM2711 (Pi 4), BCM2712 and RP1 (Pi 5).
 */
export const PI_HEADER_CHIP = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

/**
 * Turns a line number on a named chip (the BCM number printed on Pi pinout charts) into the
 * global sysfs GPIO number. Kernels since 6.6 number sysfs GPIOs from a dynamic base (512 on
 * a Pi 4 or 5 with Raspberry Pi OS Bookworm), so "GPIO17" is `gpio529` there and `gpio17` on
 * older systems; a fixed number would silently read the wrong pin.
 */
export async function resolveLine(root: string, line: number, chipLabel: RegExp): Promise<number> {
  let names: string[];
  try {
    names = (await fs.readdir(root)).filter((n) => n.startsWith('gpiochip'));
  } catch (err) {
    throw new KhoaError('KHOA_ERR_DRIVER', `cannot list GPIO chips in ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { root }, { cause: err });
  }
  const seen: string[] = [];
  for (const name of names) {
    const read = (f: string) => fs.readFile(path.join(root, name, f), 'latin1').then((s) => s.trim(), () => '');
    const [label, base, ngpio] = await Promise.all([read('label'), read('base'), read('ngpio')]);
    seen.push(label || name);
    if (!chipLabel.test(label)) continue;
    const b = Number(base);
    const n = Number(ngpio);
    if (!Number.isInteger(b) || !Number.isInteger(n)) continue;
    if (line >= n) throw new KhoaError('KHOA_ERR_DRIVER', `line ${line} is past the ${n} lines of ${label}`, { line, chip: label });
    return b + line;
  }
  throw new KhoaError('KHOA_ERR_DRIVER', `no GPIO chip labelled like ${chipLabel.source} (found: ${seen.join(', ') || 'none'})`, { chips: seen });
}
