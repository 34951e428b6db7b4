import { afterEach, describe, expect, it } from 'vitest';
import type { AgentLockConfig, KhoaError } from '@khoa/protocol';
import { systemClock } from '../clock.ts';
import { FakeGpioChip } from '../test-support/fake-gpio.ts';
import { until } from '../test-support/broker.ts';
import { quietLog } from '../test-support/agent-fixture.ts';
import { gpioDriver, type GpioDriver } from './gpio.ts';
import type { DriverEvent } from './types.ts';

const chips: FakeGpioChip[] = [];
const drivers: GpioDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
  for (const c of chips.splice(0)) c.remove();
});

function setup(options: Record<string, unknown>) {
  const chip = new FakeGpioChip();
  chips.push(chip);
  const events: DriverEvent[] = [];
  const errors: KhoaError[] = [];
  const lock: AgentLockConfig = { id: 'back', kind: 'door_sensor', driver: 'gpio', options: { sysfsRoot: chip.root, pollMs: 5, debounceMs: 40, ...options } };
  const make = () => {
    const d = gpioDriver.create({ lock, emit: (e) => events.push(e), error: (e) => errors.push(e), log: quietLog(), clock: systemClock });
    drivers.push(d);
    return d;
  };
  return { chip, events, errors, make };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gpio reed switch (fake sysfs chip)', () => {
  it('reports opening and closing after the debounce, and not the initial level', async () => {
    const { chip, events, make } = setup({ pin: 17 });
    chip.addPin(17, 0);
    await make().start();
    await sleep(60);
    expect(events).toEqual([]);
    chip.set(17, 1);
    await until(() => events.length === 1, 2000, 'door_open');
    expect(events).toEqual([{ type: 'door_open' }]);
    chip.set(17, 0);
    await until(() => events.length === 2, 2000, 'door_closed');
    expect(events[1]).toEqual({ type: 'door_closed' });
  });

  it('ignores bounces shorter than the debounce', async () => {
    const { chip, events, make } = setup({ pin: 17, debounceMs: 150 });
    chip.addPin(17, 0);
    await make().start();
    for (let i = 0; i < 4; i++) {
      chip.set(17, 1);
      await sleep(20);
      chip.set(17, 0);
      await sleep(20);
    }
    await sleep(200);
    expect(events).toEqual([]);
  });

  it('honours an inverted wiring (openLevel 0)', async () => {
    const { chip, events, make } = setup({ pin: 4, openLevel: 0 });
    chip.addPin(4, 1);
    await make().start();
    chip.set(4, 0);
    await until(() => events.length === 1, 2000, 'door_open');
    expect(events).toEqual([{ type: 'door_open' }]);
  });

  it('reports tamper on the tamper loop, including one found open at start', async () => {
    const { chip, events, make } = setup({ pin: 17, tamperPin: 27 });
    chip.addPin(17, 0);
    chip.addPin(27, 1);
    await make().start();
    expect(events).toEqual([{ type: 'tamper' }]);
    chip.set(27, 0);
    // Long enough for the closed level to outlast the debounce even on a busy machine.
    await sleep(250);
    chip.set(27, 1);
    await until(() => events.length === 2, 2000, 'second tamper');
    expect(events[1]).toEqual({ type: 'tamper' });
  });

  it('exports the pin and sets it as an input when it is not exported', async () => {
    const { chip, events, make } = setup({ pin: 22 });
    chip.emulateExport(0);
    await make().start();
    expect(chip.direction(22)).toBe('in');
    chip.set(22, 1);
    await until(() => events.length === 1, 2000, 'door_open');
  });

  it('fails to start with a coded error when the pin is missing and export is off', async () => {
    const { make } = setup({ pin: 5, export: false });
    await expect(make().start()).rejects.toMatchObject({ code: 'KHOA_ERR_DRIVER' });
  });

  it('reports garbage in the value file once, keeps polling, and recovers', async () => {
    const { chip, events, errors, make } = setup({ pin: 17 });
    chip.addPin(17, 0);
    await make().start();
    chip.set(17, 'x\n');
    await until(() => errors.length === 1, 2000, 'error');
    await sleep(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('KHOA_ERR_DRIVER');
    chip.set(17, 1);
    await until(() => events.length === 1, 2000, 'door_open after recovery');
  });

  it('finds a BCM line on the Pi header chip whatever the kernel numbering (base 512 on Bookworm)', async () => {
    const { chip, events, make } = setup({ line: 17, tamperLine: 27 });
    chip.addChip('gpio-brcmstb@107d508500', 569, 32);
    chip.addChip('pinctrl-rp1', 512, 54);
    chip.addPin(529, 0);
    chip.addPin(539, 0);
    await make().start();
    chip.set(529, 1);
    await until(() => events.length === 1, 2000, 'door_open on gpio529');
    chip.set(539, 1);
    await until(() => events.length === 2, 2000, 'tamper on gpio539');
    expect(events).toEqual([{ type: 'door_open' }, { type: 'tamper' }]);
  });

  it('says which chips it found when none matches, and refuses a line past the chip', async () => {
    const a = setup({ line: 17 });
    a.chip.addChip('gpio-mockup-A', 0, 8);
    await expect(a.make().start()).rejects.toThrow(/found: gpio-mockup-A/);
    const b = setup({ line: 60 });
    b.chip.addChip('pinctrl-bcm2711', 512, 58);
    await expect(b.make().start()).rejects.toThrow(/past the 58 lines/);
    const c = setup({ line: 3, chip: '^gpio-mockup-A$' });
    c.chip.addChip('gpio-mockup-A', 100, 8);
    c.chip.addPin(103, 1);
    await c.make().start();
  });

  it('refuses bad options with a config error naming the lock', () => {
    expect(() => setup({ pin: -1 }).make()).toThrow(/locks\[back\]/);
    expect(() => setup({ pin: 4, line: 4 }).make()).toThrow(/exactly one of line, pin/);
    expect(() => setup({}).make()).toThrow(/exactly one of line, pin/);
    expect(() => setup({ line: 4, chip: '([' }).make()).toThrow(/regular expression/);
  });
});
