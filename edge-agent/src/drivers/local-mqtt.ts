import { Type } from '@sinclair/typebox';
import { connect, type MqttClient } from 'mqtt';
import { KhoaError } from '@khoa/protocol';

/** Driver options of a connection to a local broker, shared by every driver that uses one. */
export const LocalBrokerOptionFields = {
  /** The local broker, usually `mqtt://127.0.0.1:1883` on the Pi. */
  url: Type.String({ pattern: '^(mqtts?|wss?)://[^\\s]+$', maxLength: 512 }),
  username: Type.Optional(Type.String({ maxLength: 128 })),
  password: Type.Optional(Type.String({ maxLength: 256 })),
  ca: Type.Optional(Type.String({ maxLength: 65536 })),
  /** Battery points a level must move before it is reported again. */
  batteryStep: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  reconnectMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000 })),
  /** How long `start` waits for the first subscription before carrying on without it. */
  startWaitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
};

/** How a driver reaches a broker inside the household (zigbee2mqtt's, ESPHome's): never the hub. */
export interface LocalMqttOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  ca?: string | undefined;
  /** Makes the client id readable in the broker's log; a random tail keeps two agents apart. */
  clientIdPrefix: string;
  topics: string[];
  reconnectMs: number;
  /** How long `open` waits for the first subscription before carrying on without it. */
  startWaitMs: number;
  onMessage: (topic: string, payload: Buffer, retained: boolean) => void;
  /** Reported once per streak of failures (mqtt.js retries on its own every `reconnectMs`). */
  onError: (err: KhoaError) => void;
}

/**
 * Connects to a local broker and subscribes. Resolves once subscribed, or after `startWaitMs`
 * if the broker is not there (the agent still starts, and the client keeps retrying). A clean
 * session: a state missed while disconnected comes again as the device's next full state,
 * or as the retained one on resubscription.
 */
export async function openLocalMqtt(o: LocalMqttOptions): Promise<MqttClient> {
  const client = connect(o.url, {
    clientId: `${o.clientIdPrefix}-${Math.random().toString(16).slice(2, 10)}`,
    clean: true,
    reconnectPeriod: o.reconnectMs,
    protocolVersion: 4,
    ...(o.username ? { username: o.username } : {}),
    ...(o.password ? { password: o.password } : {}),
    ...(o.ca ? { ca: o.ca } : {}),
  });
  let ready: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  let reported = false;
  client.on('connect', () => {
    reported = false;
    client.subscribe(o.topics, { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) {
        o.onError(new KhoaError('KHOA_ERR_DRIVER', `subscription to ${o.topics.join(', ')} refused by ${o.url}`, { topics: o.topics }, err ? { cause: err } : undefined));
      } else ready();
    });
  });
  client.on('message', (topic, payload, packet) => o.onMessage(topic, payload, packet.retain));
  client.on('error', (err) => {
    if (reported) return;
    reported = true;
    o.onError(new KhoaError('KHOA_ERR_DRIVER', `local broker ${o.url}: ${err.message}`, { url: o.url }, { cause: err }));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([subscribed, new Promise<void>((resolve) => (timer = setTimeout(resolve, o.startWaitMs)))]);
  clearTimeout(timer);
  return client;
}
