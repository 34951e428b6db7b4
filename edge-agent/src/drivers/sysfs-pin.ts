import fs from 'node:fs/promises';
import path from 'node:path';
import { KhoaError } from '@khoa/protocol';
import { resolveLine } from './sysfs-chip.ts';

/**
 * One GPIO input through the Linux sysfs interface (`/sys/class/gpio/gpioN/value`), polled and
 * debounced.
 *
 * Why polling: sysfs edge notification needs poll(2) with POLLPRI on the value file, which Node
 * cannot do without a native addon; a door moves at human speed, so reading one byte every few
 * tens of milliseconds is cheap and loses nothing a reed switch can say.
 * Why debounce: a reed switch bounces for a few milliseconds, and a door rattling in the wind
 * flickers; a level must hold for `debounceMs` before it counts.
 */
/** A GPIO by its global sysfs number, or by its line on a chip found by label at start. */
export type PinRef = { pin: number } | { line: number; chip: RegExp };

export interface SysfsPinOptions {
  root: string;
  pin: PinRef;
  pollMs: number;
  debounceMs: number;
  /** Export the pin and set it as an input when it is not exported yet. */
  exportPin: boolean;
  /** A new stable level (after the initial one). */
  onChange: (level: 0 | 1) => void;
  /** A read failed or returned something that is not a level; reported once per streak. */
  onError: (err: KhoaError) => void;
}

const now = () => performance.now();

export class SysfsPin {
  private timer: ReturnType<typeof setInterval> | null = null;
  private stable: 0 | 1 | null = null;
  private candidate: { level: 0 | 1; since: number } | null = null;
  private failing = false;
  private reading = false;
  /** Global sysfs number, known once started. */
  private pin = -1;

  constructor(private readonly o: SysfsPinOptions) {}

  private get dir(): string {
    return path.join(this.o.root, `gpio${this.pin}`);
  }

  /** Finds the pin, exports it if asked, reads its initial level (the baseline: no event), starts polling. */
  async start(): Promise<0 | 1> {
    const ref = this.o.pin;
    this.pin = 'pin' in ref ? ref.pin : await resolveLine(this.o.root, ref.line, ref.chip);
    await this.ensureExported();
    const level = await this.read();
    if (level === null) throw new KhoaError('KHOA_ERR_DRIVER', `gpio${this.pin}: value is not 0 or 1`, { pin: this.pin });
    this.stable = level;
    this.timer = setInterval(() => void this.poll(), this.o.pollMs);
    return level;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async ensureExported(): Promise<void> {
    const value = path.join(this.dir, 'value');
    if (await exists(value)) return;
    if (!this.o.exportPin) throw new KhoaError('KHOA_ERR_DRIVER', `gpio${this.pin} is not exported (${value} missing)`, { pin: this.pin });
    try {
      await fs.writeFile(path.join(this.o.root, 'export'), String(this.pin));
    } catch (err) {
      throw new KhoaError('KHOA_ERR_DRIVER', `cannot export gpio${this.pin}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { pin: this.pin }, { cause: err });
    }
    // The kernel creates the directory at once, but udev may need a moment to hand it to the gpio group.
    for (let i = 0; i < 50 && !(await exists(value)); i++) await new Promise((r) => setTimeout(r, 20));
    if (!(await exists(value))) throw new KhoaError('KHOA_ERR_DRIVER', `gpio${this.pin} did not appear after export`, { pin: this.pin });
    try {
      await fs.writeFile(path.join(this.dir, 'direction'), 'in');
    } catch (err) {
      throw new KhoaError('KHOA_ERR_DRIVER', `cannot set gpio${this.pin} as input: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { pin: this.pin }, { cause: err });
    }
  }

  private async read(): Promise<0 | 1 | null> {
    const text = (await fs.readFile(path.join(this.dir, 'value'), 'latin1')).trim();
    return text === '0' ? 0 : text === '1' ? 1 : null;
  }

  private async poll(): Promise<void> {
    if (this.reading || !this.timer) return;
    this.reading = true;
    try {
      const level = await this.read();
      if (level === null) throw new KhoaError('KHOA_ERR_DRIVER', `gpio${this.pin}: value is not 0 or 1`, { pin: this.pin });
      this.failing = false;
      this.settle(level);
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        this.o.onError(err instanceof KhoaError ? err : new KhoaError('KHOA_ERR_DRIVER', `gpio${this.pin}: ${(err as Error).message}`, { pin: this.pin }, { cause: err }));
      }
    } finally {
      this.reading = false;
    }
  }

  private settle(level: 0 | 1): void {
    if (level === this.stable) {
      this.candidate = null;
      return;
    }
    const t = now();
    if (!this.candidate || this.candidate.level !== level) {
      this.candidate = { level, since: t };
      if (this.o.debounceMs > 0) return;
    }
    if (t - this.candidate.since >= this.o.debounceMs) {
      this.stable = level;
      this.candidate = null;
      if (this.timer) this.o.onChange(level);
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
