import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.ts';
import type { AgentMetrics } from '../metrics.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';

export interface LinkOptions {
  url: string;
  /** The device id: MQTT client id and username at once (the hub refuses a mismatch). */
  deviceId: string;
  password: string;
  /** PEM of the CA for `mqtts://` / `wss://` when the hub's certificate is not from a public CA. */
  ca?: string | undefined;
  /** Topic of the retained `online` / `offline` status (the Last Will). */
  statusTopic: string;
  /** Filter of the device's own commands, subscribed on every connect. */
  cmdFilter: string;
  backoff: BackoffOptions;
  /**
   * A connection must last this long (or get queued data acknowledged, see `noteProgress`)
   * before the backoff starts again from `minMs`. A hub that accepts the connection and then
   * drops it at once (a refused subscription, an event its storage cannot take: the stuck event
   * is never acknowledged) is then retried ever more slowly instead of once a second forever.
   */
  stableMs: number;
  connectTimeoutMs: number;
  keepaliveS: number;
  log: Logger;
  metrics: AgentMetrics;
}

export type PublishCallback = (err?: Error) => void;

interface LinkEvents {
  /** Connected, online published, commands subscribed. */
  up: [];
  /** The connection was lost (or stopped). Anything not acknowledged must be sent again. */
  down: [];
  message: [topic: string, payload: Buffer];
}

/**
 * The agent's one connection to the hub.
 *
 * A new mqtt.js client is made for every attempt (its own reconnect is off) for two reasons:
 * the delay between attempts is ours (exponential with jitter and a cap, which mqtt.js's fixed
 * `reconnectPeriod` cannot do), and mqtt.js's in-memory resend of unacknowledged publishes
 * would race the store-and-forward queue, which already resends from disk in order.
 * The broker-side session is still persistent (`clean: false` and a stable client id), so QoS 1
 * commands the hub sent while the agent was away are delivered when it comes back.
 */
export class MqttLink extends EventEmitter<LinkEvents> {
  private client: MqttClient | null = null;
  private up = false;
  private attempt = 0;
  private connectedAt: number | null = null;
  /** The hub acknowledged queued data on the current connection (see `noteProgress`). */
  private progressed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private started = false;

  constructor(private readonly opts: LinkOptions) {
    super();
  }

  get connected(): boolean {
    return this.up;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.connectOnce();
  }

  /**
   * Publishes on the current connection. Returns false (and does nothing) while there is none:
   * callers decide whether to keep the message (events, camera state) or drop it (frames).
   * Works from CONNACK on, before `up`: commands queued in the broker session arrive right
   * after CONNACK and their replies must not be lost.
   */
  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain?: boolean }, cb?: PublishCallback): boolean {
    const client = this.client;
    if (!client || !client.connected) return false;
    client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }, (err) => cb?.(err ?? undefined));
    return true;
  }

  /**
   * The hub acknowledged something the agent had queued (a lock event's PUBACK) on this
   * connection. Such a connection was useful however short it was: when it drops, the next
   * attempt starts again from the minimum delay. Without this a flapping link (a weak 3G signal
   * cutting every few seconds) grows the delay like a hub that refuses the agent, and once the
   * link settles a forced door waits up to `maxMs` for the next attempt.
   */
  noteProgress(): void {
    if (this.client?.connected) this.progressed = true;
  }

  /** Bytes written to the connection but not yet taken by the network (0 when there is none). */
  bufferedBytes(): number {
    return this.client?.stream?.writableLength ?? 0;
  }

  /**
   * Publishes `offline` itself (a clean DISCONNECT suppresses the Last Will, so without this the
   * retained status would stay `online`), then disconnects.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    // From CONNACK on `online` may be out already, so `offline` must follow even before `up`.
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.publish(this.opts.statusTopic, 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.markDown('stopped');
    // A clean DISCONNECT when there is a connection; a client still connecting is just dropped.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      client.end(!client.connected, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private connectOnce(): void {
    if (this.stopped) return;
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.deviceId,
      username: o.deviceId,
      password: o.password,
      // MQTT 3.1.1: what the embedded aedes broker speaks; Mosquitto and EMQX accept it too.
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs,
      keepalive: o.keepaliveS,
      will: { topic: o.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
      rejectUnauthorized: true,
      ...(o.ca ? { ca: o.ca } : {}),
    };
    const client = connect(o.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      if (this.client !== client) return;
      this.connectedAt = performance.now();
      this.progressed = false;
      client.publish(o.statusTopic, 'online', { qos: 1, retain: true });
      client.subscribe(o.cmdFilter, { qos: 1 }, (err, granted) => {
        if (this.client !== client) return;
        // [MQTT-3.9.3] a SUBACK return code of 0x80 is a refusal without an error.
        if (err || granted?.some((g) => g.qos === 128)) {
          // Refused by the broker's ACL: nothing useful can happen on this connection.
          o.log.error({ err, topic: o.cmdFilter }, 'command subscription refused');
          o.metrics.linkErrors.inc({ code: 'subscribe_refused' });
          client.end(true);
          return;
        }
        this.up = true;
        o.metrics.connected.set(1);
        o.log.info({ sessionPresent: connack.sessionPresent }, 'connected to hub');
        this.emit('up');
      });
    });
    client.on('message', (topic, payload) => {
      if (this.client === client) this.emit('message', topic, payload);
    });
    client.on('error', (err) => {
      const code = (err as { code?: string | number }).code;
      o.metrics.linkErrors.inc({ code: String(code ?? 'unknown') });
      o.log.warn({ err: { message: err.message, code } }, 'mqtt error');
    });
    client.on('close', () => {
      if (this.client !== client) return;
      if (this.progressed || (this.connectedAt !== null && performance.now() - this.connectedAt >= o.stableMs)) this.attempt = 0;
      this.progressed = false;
      this.connectedAt = null;
      this.client = null;
      this.markDown('lost');
      client.end(true);
      this.scheduleReconnect();
    });
  }

  private markDown(why: 'lost' | 'stopped'): void {
    if (!this.up) return;
    this.up = false;
    this.opts.metrics.connected.set(0);
    if (why === 'lost') this.opts.log.warn('link to hub lost');
    else this.opts.log.info('disconnected from hub');
    this.emit('down');
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = backoffDelay(this.attempt, this.opts.backoff);
    this.attempt++;
    this.opts.log.debug({ delay, attempt: this.attempt }, 'reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.opts.metrics.reconnects.inc();
      this.connectOnce();
    }, delay);
  }
}
