import { Type } from '@sinclair/typebox';
import type { MqttClient } from 'mqtt';
import { compile, KhoaError, type LockEventType } from '@khoa/protocol';
import { LocalBrokerOptionFields, openLocalMqtt } from './local-mqtt.ts';
import { driverOptions, type DriverEvent, type LockDriver, type LockDriverContext, type LockDriverFactory } from './types.ts';

/** ESPHome object ids: the component name lower-cased with `_` (what it puts in topics). */
const ObjectId = Type.String({ pattern: '^[a-z0-9_]{1,64}$' });

export const EsphomeOptionsSchema = Type.Object(
  {
    ...LocalBrokerOptionFields,
    /** The node's `mqtt.topic_prefix` (by default its name). */
    topicPrefix: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^#+\\u0000]+$' }),
    /** binary_sensor, device_class door: ON = open. */
    door: Type.Optional(ObjectId),
    /** binary_sensor, device_class lock: ON = unlocked (Home Assistant's meaning). */
    lock: Type.Optional(ObjectId),
    /** binary_sensor, device_class tamper: ON = tampered. */
    tamper: Type.Optional(ObjectId),
    /** binary_sensor of a panic button: ON = pressed. */
    sos: Type.Optional(ObjectId),
    /** sensor, battery percentage. */
    battery: Type.Optional(ObjectId),
  },
  { additionalProperties: false },
);
const optionsValidator = compile(EsphomeOptionsSchema, 'KHOA_ERR_CONFIG_INVALID');

type Role = 'door' | 'lock' | 'tamper' | 'sos' | 'battery';

/** For each binary role, the event of its ON and OFF states (null: nothing to report). */
const BINARY: Record<Exclude<Role, 'battery'>, { on: LockEventType | null; off: LockEventType | null }> = {
  door: { on: 'door_open', off: 'door_closed' },
  lock: { on: 'unlocked', off: 'locked' },
  tamper: { on: 'tamper', off: null },
  sos: { on: 'sos', off: null },
};

/**
 * A door or lock sensor built on an ESP32 with ESPHome (firmware-config writes its YAML),
 * publishing to a broker in the house. Reads ESPHome's MQTT state topics,
 * `<topic_prefix>/binary_sensor/<id>/state` (`ON`/`OFF`) and `<topic_prefix>/sensor/<id>/state`
 * (a number). ESPHome retains its states: a retained state is the baseline, a live change is
 * an event, and a repeat of the same state (the node reconnecting) is nothing.
 */
export class EsphomeDriver implements LockDriver {
  private client: MqttClient | null = null;
  private readonly o: ReturnType<typeof optionsValidator.assert>;
  private readonly roles = new Map<string, Role>();
  private readonly last = new Map<Role, string>();
  private lastBattery: number | undefined;

  constructor(private readonly ctx: LockDriverContext) {
    this.o = driverOptions(optionsValidator, ctx.lock);
    const o = this.o;
    for (const role of ['door', 'lock', 'tamper', 'sos'] as const) {
      const id = o[role];
      if (id) this.roles.set(`${o.topicPrefix}/binary_sensor/${id}/state`, role);
    }
    if (o.battery) this.roles.set(`${o.topicPrefix}/sensor/${o.battery}/state`, 'battery');
    if (this.roles.size === 0) {
      throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `locks[${ctx.lock.id}].options: name at least one of door, lock, tamper, sos, battery`, { lockId: ctx.lock.id });
    }
  }

  async start(): Promise<void> {
    const o = this.o;
    this.client = await openLocalMqtt({
      url: o.url,
      username: o.username,
      password: o.password,
      ca: o.ca,
      clientIdPrefix: `khoa-${this.ctx.lock.id}`,
      topics: [...this.roles.keys()],
      reconnectMs: o.reconnectMs ?? 2000,
      startWaitMs: o.startWaitMs ?? 5000,
      onMessage: (topic, payload, retained) => {
        const role = this.roles.get(topic);
        if (role) this.onState(role, payload, retained);
      },
      onError: this.ctx.error,
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true);
  }

  private onState(role: Role, payload: Buffer, retained: boolean): void {
    const text = payload.length <= 32 ? payload.toString('latin1').trim() : null;
    const event = text === null ? undefined : role === 'battery' ? this.battery(text, retained) : this.binary(role, text, retained);
    if (event === undefined) {
      this.ctx.error(new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `esphome ${role} state ${JSON.stringify((text ?? payload.toString('latin1', 0, 32)).slice(0, 32))}`, { role }));
      return;
    }
    if (event) this.ctx.emit(event);
  }

  /** An event, null for nothing to report, undefined for a payload that is not a state. */
  private binary(role: Exclude<Role, 'battery'>, text: string, retained: boolean): DriverEvent | null | undefined {
    if (text !== 'ON' && text !== 'OFF') return undefined;
    const before = this.last.get(role);
    this.last.set(role, text);
    if (before === text) return null;
    // Like the other drivers: positions found at start are a baseline, an open enclosure is an alarm.
    if (retained && !(role === 'tamper' && text === 'ON')) return null;
    const type = text === 'ON' ? BINARY[role].on : BINARY[role].off;
    return type ? { type } : null;
  }

  private battery(text: string, retained: boolean): DriverEvent | null | undefined {
    // ESPHome sends `nan` while a sensor has no reading yet.
    if (text === 'nan') return null;
    const value = Number(text);
    if (!/^-?\d+(\.\d+)?$/.test(text) || value < 0 || value > 100) return undefined;
    const level = Math.round(value);
    const step = this.o.batteryStep ?? 5;
    if (this.lastBattery !== undefined && Math.abs(level - this.lastBattery) < step) return null;
    this.lastBattery = level;
    return retained ? null : { type: 'battery', battery: level };
  }
}

export const esphomeDriver: LockDriverFactory<EsphomeDriver> = {
  key: 'esphome',
  create: (ctx) => new EsphomeDriver(ctx),
};
