import { esphomeDriver } from './esphome.ts';
import { gpioDriver } from './gpio.ts';
import { simulatorDriver } from './simulator.ts';
import { zigbee2mqttDriver } from './zigbee2mqtt.ts';
import type { LockDriverFactory } from './types.ts';

export type { DriverEvent, LockDriver, LockDriverContext, LockDriverFactory } from './types.ts';
export { SimulatorDriver } from './simulator.ts';

/** Every lock driver the agent ships, by the `driver` key a lock's config names. Add new drivers here. */
export const builtinDrivers: Record<string, LockDriverFactory> = {
  [simulatorDriver.key]: simulatorDriver,
  [gpioDriver.key]: gpioDriver,
  [zigbee2mqttDriver.key]: zigbee2mqttDriver,
  [esphomeDriver.key]: esphomeDriver,
};
