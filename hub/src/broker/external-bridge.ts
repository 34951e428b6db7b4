import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Aedes, AedesPublishPacket, PublishPacket } from 'aedes';
import { KhoaError, TOPIC_ROOT, parseTopic, topics } from '@khoa/protocol';
import type { Settings } from '../settings/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { BeforeAck } from './authorize-publish.ts';
import type { ExternalIdentities } from './external-identity.ts';

export type ExternalSettings = NonNullable<Settings['mqtt']['external']>;

export interface ExternalBridgeDeps {
  settings: ExternalSettings;
  /** The embedded broker, used as the hub's in-process bus (it has no listeners in this mode). */
  bus: Aedes;
  identities: ExternalIdentities;
  beforeAck: BeforeAck;
  metrics: Metrics;
  log: Logger;
}

const COMMANDS = `${TOPIC_ROOT}/+/+/cmd/#`;

/**
 * The hub's side of the external MQTT 5 broker (scale-out mode). Every hub process of a
 * deployment runs one, with its own client id and a persistent session.
 *
 * - Device events (status, register, heartbeat, lock events, camera states, replies) come on
 *   ordinary, NOT shared, QoS 1 subscriptions: every hub sees every event, the database's
 *   uniqueness ((device, seq) for events, one open alert per kind/device/subject) makes the work
 *   count once, and a hub that dies mid-message loses nothing because the others handle their
 *   own copy. A shared subscription would halve the database work, but Mosquitto keeps a QoS 1
 *   message in flight to a dead member inside that member's session instead of handing it to
 *   another member, so an event (and its alert) would wait until the dead hub comes back, or be
 *   dropped with its expired session.
 * - Frames come on a shared subscription (`$share/{group}/…`, QoS 0): each frame goes to one
 *   hub, which is how detection work is spread. A frame lost with a dead hub is replaced by the
 *   camera's next one.
 * - A QoS 1 message is acknowledged to the broker only once ingest (the same path as the
 *   embedded broker's authorizePublish) has finished: mqtt.js v5 sends the PUBACK when our
 *   `handleMessage` calls back. If ingest fails, no PUBACK is sent and the connection is
 *   dropped so the broker delivers the message again on the persistent session.
 * - What ingest accepted is republished on the local bus, so in-process listeners (command
 *   replies, the console's shared frames) work as in embedded mode. Commands published on the
 *   local bus go out to the external broker at QoS 1.
 */
export class ExternalBridge {
  #client: MqttClient | undefined;
  #started = false;
  #closing = false;
  readonly #log: Logger;
  readonly #forwardCommand = (packet: AedesPublishPacket, cb: () => void) => {
    cb();
    const client = this.#client;
    if (!client || this.#closing) return;
    // mqtt.js keeps a QoS 1 publish in its outgoing store while disconnected and sends it on reconnect.
    client.publish(packet.topic, packet.payload as Buffer, { qos: 1, retain: false }, (err) => {
      if (err) this.#log.warn({ err: err.message, topic: packet.topic }, 'command not delivered to the external broker');
    });
  };

  constructor(private readonly deps: ExternalBridgeDeps) {
    this.#log = deps.log.child({ subsystem: 'external-broker' });
  }

  get clientId(): string {
    return this.deps.settings.clientId ?? `khoa-hub-${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 55)}`;
  }

  /** Connects, subscribes and starts forwarding; rejects if the first connection fails. */
  async start(): Promise<void> {
    const s = this.deps.settings;
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: this.clientId,
      // A persistent session: while this hub restarts, the broker queues its QoS 1 events and
      // redelivers those it had sent but not seen acknowledged.
      clean: false,
      properties: { sessionExpiryInterval: s.sessionExpiryS },
      username: s.username ?? (s.password ? 'khoa-hub' : undefined),
      password: s.password,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      // We subscribe ourselves on every connect (below), with the options we need.
      resubscribe: false,
    };
    const client = mqtt.connect(s.url, options);
    this.#client = client;
    // Called once per message, one message at a time; the PUBACK (QoS 1) goes out when `done` is called.
    client.handleMessage = (packet, done) => {
      this.#receive(packet).then(
        () => done(),
        (err: unknown) => {
          this.#log.error({ err, topic: packet.topic }, 'message not acknowledged; reconnecting so the broker redelivers it');
          done(err instanceof Error ? err : new Error(String(err)));
          if (!this.#closing) client.stream.destroy();
        },
      );
    };
    client.on('error', (err) => this.#log.warn({ err: err.message }, 'external broker connection error'));
    client.on('offline', () => this.#log.warn('external broker unreachable; reconnecting'));
    client.on('connect', (connack) => {
      this.#log.info({ clientId: this.clientId, sessionPresent: connack.sessionPresent }, 'connected to the external broker');
      // The first subscription is made (and its refusal reported) by start() itself.
      if (this.#started) void this.#subscribe(client).catch((err: unknown) => this.#log.error({ err }, 'subscribing on the external broker failed'));
    });

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('no CONNACK')), (options.connectTimeout ?? 10_000) + 1000);
      const ok = () => {
        cleanup();
        resolve();
      };
      const fail = (err: Error) => {
        cleanup();
        client.end(true);
        reject(new KhoaError('KHOA_ERR_CONFIG_INVALID', `external MQTT broker ${redact(s.url)}: ${err.message}`, { setting: 'mqtt.external.url' }, { cause: err }));
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', ok);
        client.off('error', fail);
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
    await this.#subscribe(client);
    this.#started = true;
    await new Promise<void>((resolve) => this.deps.bus.subscribe(COMMANDS, this.#forwardCommand, () => resolve()));
  }

  async #subscribe(client: MqttClient): Promise<void> {
    const filters = topics.hubFilters(this.deps.settings.shareGroup);
    // rh 1: retained statuses are sent when a subscription is new, not on every reconnect.
    const wanted: Record<string, { qos: 0 | 1; rh: 1 }> = { [filters.frames]: { qos: 0, rh: 1 } };
    for (const f of filters.events) wanted[f] = { qos: 1, rh: 1 };
    const granted = await client.subscribeAsync(wanted);
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) {
      throw new KhoaError('KHOA_ERR_NOT_AUTHORISED', `external broker refused subscriptions ${refused.map((g) => g.topic).join(', ')}`, { clientId: this.clientId });
    }
  }

  async #receive(packet: IPublishPacket): Promise<void> {
    const topicName = packet.topic;
    const topic = parseTopic(topicName);
    // Refused messages are still acknowledged: sending them again would not make them valid.
    if (!topic) return this.#refuse(topicName, 'not_contract');
    const d = await this.deps.identities.check(topic);
    if (!d.ok) return this.#refuse(topicName, d.reason);
    await this.deps.beforeAck(d.who, topic, packet as PublishPacket);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    this.deps.bus.publish({ cmd: 'publish', topic: topicName, payload, qos: packet.qos === 0 ? 0 : 1, retain: false, dup: false }, () => {});
  }

  #refuse(topic: string, reason: string): void {
    this.deps.metrics.aclRejected.inc({ action: 'publish', reason });
    this.#log.warn({ topic: topic.slice(0, 200), reason }, 'message from the external broker refused');
  }

  /** Stops forwarding and leaves the broker without acknowledging anything still in progress. */
  async close(): Promise<void> {
    this.#closing = true;
    await new Promise<void>((resolve) => this.deps.bus.unsubscribe(COMMANDS, this.#forwardCommand, () => resolve()));
    // Forced: a clean DISCONNECT would be fine too, but a message whose ingest was refused
    // (the hub is stopping) must stay unacknowledged so the broker redelivers it later.
    await this.#client?.endAsync(true);
  }
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
