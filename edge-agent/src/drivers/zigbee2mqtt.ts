import { Type } from '@sinclair/typebox';
import type { MqttClient } from 'mqtt';
import { compile, parseJsonPayload, type Validator } from '@khoa/protocol';
import { LocalBrokerOptionFields, openLocalMqtt } from './local-mqtt.ts';
import { driverOptions, type LockDriver, type LockDriverContext, type LockDriverFactory } from './types.ts';
import { translateZ2m, Z2mStateSchema, type Z2mMemory } from './zigbee2mqtt-translate.ts';

export const Zigbee2mqttOptionsSchema = Type.Object(
  {
    ...LocalBrokerOptionFields,
    /** The device's friendly name in zigbee2mqtt (may contain `/` for groups of rooms; never a wildcard). */
    friendlyName: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^#+\\u0000]+$' }),
    /** zigbee2mqtt's `mqtt.base_topic`. */
    baseTopic: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^#+\\u0000]+$' })),
  },
  { additionalProperties: false },
);
const optionsValidator = compile(Zigbee2mqttOptionsSchema, 'KHOA_ERR_CONFIG_INVALID');
const payloadValidator: Validator<typeof Z2mStateSchema> = compile(Z2mStateSchema);

/**
 * A Zigbee lock or door sensor paired with zigbee2mqtt: subscribes to the device's state topic
 * on the local broker and translates changes into lock events. Commands to the lock (`/set`)
 * are not sent: the agent reports, it does not operate locks.
 */
export class Zigbee2mqttDriver implements LockDriver {
  private client: MqttClient | null = null;
  private readonly memory: Z2mMemory = { failures: 0 };
  private readonly topic: string;
  private readonly o: ReturnType<typeof optionsValidator.assert>;

  constructor(private readonly ctx: LockDriverContext) {
    this.o = driverOptions(optionsValidator, ctx.lock);
    this.topic = `${this.o.baseTopic ?? 'zigbee2mqtt'}/${this.o.friendlyName}`;
  }

  async start(): Promise<void> {
    const o = this.o;
    this.client = await openLocalMqtt({
      url: o.url,
      username: o.username,
      password: o.password,
      ca: o.ca,
      clientIdPrefix: `khoa-${this.ctx.lock.id}`,
      topics: [this.topic],
      reconnectMs: o.reconnectMs ?? 2000,
      startWaitMs: o.startWaitMs ?? 5000,
      onMessage: (topic, payload, retained) => {
        if (topic === this.topic) this.onState(payload, retained);
      },
      onError: this.ctx.error,
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true);
  }

  private onState(payload: Buffer, retained: boolean): void {
    // zigbee2mqtt sends an empty retained message when a device is removed.
    if (payload.length === 0) return;
    const parsed = parseJsonPayload(payloadValidator, payload, 16 * 1024);
    if (!parsed.ok) {
      this.ctx.error(parsed.error);
      return;
    }
    const r = translateZ2m(parsed.value, this.memory, retained, { batteryStep: this.o.batteryStep ?? 5 });
    if (!r.ok) {
      this.ctx.error(r.error);
      return;
    }
    for (const e of r.value) this.ctx.emit(e);
  }
}

export const zigbee2mqttDriver: LockDriverFactory<Zigbee2mqttDriver> = {
  key: 'zigbee2mqtt',
  create: (ctx) => new Zigbee2mqttDriver(ctx),
};
