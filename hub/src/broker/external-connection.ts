import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { KhoaError } from '@khoa/protocol';
import type { Logger } from '../log.ts';

export interface ExternalConnectionOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Seconds the broker keeps the session after a disconnect; 0 makes it end with the connection. */
  sessionExpiryS: number;
  keepaliveS: number;
  /** Filter → options; made on every connect (a subscription the session still has is only refreshed). */
  subscriptions: Record<string, { qos: 0 | 1; rh: 0 | 1 | 2 }>;
  /**
   * Handles one message; mqtt.js calls it one message at a time and sends the PUBACK (QoS 1)
   * only once it resolves. A rejection sends no PUBACK and drops the connection, so the broker
   * delivers the message again when the session resumes.
   */
  onMessage(packet: IPublishPacket): Promise<void>;
  log: Logger;
}

export interface ExternalConnection {
  client: MqttClient;
  /** Leaves without acknowledging anything still in progress. */
  close(): Promise<void>;
}

/** One MQTT 5 client connection of the hub to the external broker; resolves once connected and subscribed. */
export async function openExternalConnection(o: ExternalConnectionOptions): Promise<ExternalConnection> {
  let closing = false;
  let started = false;
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: o.clientId,
    // Clean Start only for a session meant to end with the connection; a persistent session
    // must be resumed, or the broker would throw away what it queued for us.
    clean: o.sessionExpiryS === 0,
    properties: { sessionExpiryInterval: o.sessionExpiryS },
    username: o.username,
    password: o.password,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    keepalive: o.keepaliveS,
    resubscribe: false,
  };
  const log = o.log.child({ clientId: o.clientId });
  const client = mqtt.connect(o.url, options);
  client.handleMessage = (packet, done) => {
    o.onMessage(packet).then(
      () => done(),
      (err: unknown) => {
        log.error({ err, topic: packet.topic }, 'message not acknowledged; reconnecting so the broker redelivers it');
        done(err instanceof Error ? err : new Error(String(err)));
        if (!closing) client.stream.destroy();
      },
    );
  };
  const subscribe = async () => {
    const granted = await client.subscribeAsync(o.subscriptions);
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) throw new KhoaError('KHOA_ERR_NOT_AUTHORISED', `external broker refused subscriptions ${refused.map((g) => g.topic).join(', ')}`, { clientId: o.clientId });
  };
  client.on('error', (err) => log.warn({ err: err.message }, 'external broker connection error'));
  client.on('offline', () => {
    if (!closing) log.warn('external broker unreachable; reconnecting');
  });
  client.on('connect', (connack) => {
    log.info({ sessionPresent: connack.sessionPresent }, 'connected to the external broker');
    // The first subscription is made (and a refusal reported) below, before this function returns.
    if (started) void subscribe().catch((err: unknown) => log.error({ err }, 'subscribing on the external broker failed'));
  });
  const close = async () => {
    closing = true;
    await client.endAsync(true);
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('no CONNACK')), 11_000);
      const ok = () => {
        cleanup();
        resolve();
      };
      const fail = (err: Error) => {
        cleanup();
        reject(new KhoaError('KHOA_ERR_CONFIG_INVALID', `external MQTT broker ${redact(o.url)}: ${err.message}`, { setting: 'mqtt.external.url' }, { cause: err }));
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', ok);
        client.off('error', fail);
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
    await subscribe();
    started = true;
  } catch (err) {
    await close();
    throw err;
  }
  return { client, close };
}

/** The URL without credentials, for logs and errors. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
