import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A fake GPIO chip: a temp directory laid out like `/sys/class/gpio` (an `export` file and one
 * `gpioN/` directory per exported pin with `value`, `direction`, `edge`). The test plays the
 * kernel: it writes the `value` files, and `emulateExport` creates a pin's directory when the
 * driver writes its number to `export`.
 */
export class FakeGpioChip {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'khoa-gpio-'));
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    fs.writeFileSync(path.join(this.root, 'export'), '');
    fs.writeFileSync(path.join(this.root, 'unexport'), '');
  }

  addPin(pin: number, level: 0 | 1): void {
    const dir = path.join(this.root, `gpio${pin}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'direction'), 'in\n');
    fs.writeFileSync(path.join(dir, 'edge'), 'none\n');
    this.set(pin, level);
  }

  /** A `gpiochipN/` entry as the kernel lists it (N is the chip's base). */
  addChip(label: string, base: number, ngpio: number): void {
    const dir = path.join(this.root, `gpiochip${base}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'label'), `${label}\n`);
    fs.writeFileSync(path.join(dir, 'base'), `${base}\n`);
    fs.writeFileSync(path.join(dir, 'ngpio'), `${ngpio}\n`);
  }

  /** What the kernel shows after the line changes; sysfs values end with a newline. */
  set(pin: number, level: 0 | 1 | string): void {
    fs.writeFileSync(path.join(this.root, `gpio${pin}`, 'value'), typeof level === 'number' ? `${level}\n` : level);
  }

  direction(pin: number): string {
    return fs.readFileSync(path.join(this.root, `gpio${pin}`, 'direction'), 'utf8').trim();
  }

  /** Creates `gpioN/` with `initial` when N is written to `export`, as the kernel does. */
  emulateExport(initial: 0 | 1): void {
    this.timer = setInterval(() => {
      const text = fs.readFileSync(path.join(this.root, 'export'), 'utf8').trim();
      if (!text) return;
      fs.writeFileSync(path.join(this.root, 'export'), '');
      this.addPin(Number(text), initial);
    }, 5);
  }

  remove(): void {
    if (this.timer) clearInterval(this.timer);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
