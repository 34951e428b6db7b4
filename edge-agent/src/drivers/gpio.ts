import { Type } from '@sinclair/typebox';
import { compile, KhoaError } from '@khoa/protocol';
import { PI_HEADER_CHIP } from './sysfs-chip.ts';
import { SysfsPin, type PinRef } from './sysfs-pin.ts';
import { driverOptions, type LockDriver, type LockDriverContext, type LockDriverFactory } from './types.ts';

const Level = Type.Union([Type.Literal(0), Type.Literal(1)]);

export const GpioOptionsSchema = Type.Object(
  {
    /**
     * Where the reed switch is: `line`, the BCM number on the Pi's pinout (GPIO17 is 17), found
     * on the header chip whatever the kernel's numbering; or `pin`, the global sysfs number as is.
     */
    line: Type.Optional(Type.Integer({ minimum: 0, maximum: 511 })),
    pin: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095 })),
    /**
     * Level that means "door open". With the usual wiring (switch to ground, pull-up on) the
     * magnet closes the switch and the pin reads 0 when the door is shut, so open is 1.
     */
    openLevel: Type.Optional(Level),
    /** Optional tamper loop (enclosure switch or cut wire), numbered like the switch, and the level that means tampered. */
    tamperLine: Type.Optional(Type.Integer({ minimum: 0, maximum: 511 })),
    tamperPin: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095 })),
    tamperLevel: Type.Optional(Level),
    debounceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    pollMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    /** Where the sysfs GPIO class lives; tests point it at a fake chip. */
    sysfsRoot: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    /** Export pins that are not exported yet (needs write access to `export`). */
    export: Type.Optional(Type.Boolean()),
    /** Which chip `line` numbers are on, as a regular expression on its label; by default the Pi's header chip. */
    chip: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
const optionsValidator = compile(GpioOptionsSchema, 'KHOA_ERR_CONFIG_INVALID');

/**
 * A reed switch (and optionally a tamper loop) wired to the Pi's GPIO header, read through
 * Linux sysfs. The initial level is a baseline, not an event: a restart must not report a door
 * as just opened.
 */
export class GpioDriver implements LockDriver {
  private readonly door: SysfsPin;
  private readonly tamper: SysfsPin | null;
  private started = false;
  private readonly tamperLevel: 0 | 1;

  constructor(private readonly ctx: LockDriverContext) {
    const o = driverOptions(optionsValidator, ctx.lock);
    const bad = (detail: string) => new KhoaError('KHOA_ERR_CONFIG_INVALID', `locks[${ctx.lock.id}].options: ${detail}`, { lockId: ctx.lock.id });
    if ((o.line === undefined) === (o.pin === undefined)) throw bad('give exactly one of line, pin');
    if (o.tamperLine !== undefined && o.tamperPin !== undefined) throw bad('give at most one of tamperLine, tamperPin');
    let chip = PI_HEADER_CHIP;
    if (o.chip) {
      try {
        chip = new RegExp(o.chip);
      } catch {
        throw bad(`chip is not a regular expression: ${o.chip}`);
      }
    }
    const ref = (line: number | undefined, pin: number | undefined): PinRef | null => (line !== undefined ? { line, chip } : pin !== undefined ? { pin } : null);
    const common = { root: o.sysfsRoot ?? '/sys/class/gpio', pollMs: o.pollMs ?? 50, debounceMs: o.debounceMs ?? 100, exportPin: o.export ?? true, onError: ctx.error };
    const openLevel = o.openLevel ?? 1;
    this.door = new SysfsPin({ ...common, pin: ref(o.line, o.pin) as PinRef, onChange: (level) => ctx.emit({ type: level === openLevel ? 'door_open' : 'door_closed' }) });
    const tamperLevel = o.tamperLevel ?? 1;
    this.tamperLevel = tamperLevel;
    const tamperRef = ref(o.tamperLine, o.tamperPin);
    this.tamper = tamperRef ? new SysfsPin({ ...common, pin: tamperRef, onChange: (level) => level === tamperLevel && ctx.emit({ type: 'tamper' }) }) : null;
  }

  async start(): Promise<void> {
    this.started = true;
    try {
      await this.door.start();
      // Unlike the door, an enclosure found open is reported at start: it is an alarm condition, not a position.
      if ((await this.tamper?.start()) === this.tamperLevel) this.ctx.emit({ type: 'tamper' });
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.door.stop();
    this.tamper?.stop();
  }
}

export const gpioDriver: LockDriverFactory<GpioDriver> = {
  key: 'gpio',
  create: (ctx) => new GpioDriver(ctx),
};
