import { hostname } from 'node:os';
import type { IPublishPacket } from 'mqtt';
import type { Aedes, AedesPublishPacket, PublishPacket } from 'aedes';
import { TOPIC_ROOT, parseTopic, topics } from '@khoa/protocol';
import type { Settings } from '../settings/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { BeforeAck } from './authorize-publish.ts';
import type { ExternalIdentities } from './external-identity.ts';
import { openExternalConnection, type ExternalConnection } from './external-connection.ts';

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
const isHeartbeat = (filter: string) => filter.endsWith('/heartbeat');
const isAlerting = (filter: string) => filter.endsWith('/event') || filter.endsWith('/state');

/** The client ids of a hub's persistent sessions on the external broker (the frame session ends with its connection). */
export function bridgeSessionIds(clientId: string): [alerting: string, presence: string] {
  return [clientId, `${clientId}-presence`];
}

/**
 * The hub's side of the external MQTT 5 broker (scale-out mode). Every hub process of a
 * deployment runs one, with its own client id and a persistent session.
 *
 * - Device events (status, register, lock events, camera states, replies) come on two
 *   connections with persistent sessions and ordinary, NOT shared, QoS 1 subscriptions: every
 *   hub sees every event, the database's uniqueness ((device, seq) for events, one open alert per kind/device/subject) makes the work
 *   count once, and a hub that dies mid-message loses nothing because the others handle their
 *   own copy. A shared subscription would halve the database work, but Mosquitto keeps a QoS 1
 *   message in flight to a dead member inside that member's session instead of handing it to
 *   another member, so an event (and its alert) would wait until the dead hub comes back, or be
 *   dropped with its expired session.
 * - Frames (and heartbeats, see start()) come on a third connection, with shared
 *   subscriptions (`$share/{group}/…`, QoS 0): each frame goes to one hub, which is how detection work is spread. That connection's session
 *   ends with it (expiry 0): Mosquitto 2.0 goes on handing every other frame of the group to a
 *   member whose persistent session outlives its dead process (measured: the survivor got 10 of
 *   20 frames), so a dead hub leaves the group as soon as the broker sees its socket close, or
 *   after 1.5 keepalives if the machine vanished. A frame lost meanwhile is replaced by the
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
  /** Alerting events (also carries commands out), presence, frames; see start(). */
  #connections: ExternalConnection[] = [];
  #closing = false;
  readonly #log: Logger;
  readonly #forwardCommand = (packet: AedesPublishPacket, cb: () => void) => {
    cb();
    const client = this.#connections[0]?.client;
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

  /** Opens the three connections, subscribes and starts forwarding; rejects if a first connection fails. */
  async start(): Promise<void> {
    const s = this.deps.settings;
    const filters = topics.hubFilters(s.shareGroup);
    const common = {
      url: s.url,
      username: s.username ?? (s.password ? 'khoa-hub' : undefined),
      password: s.password,
      onMessage: (packet: IPublishPacket) => this.#receive(packet),
      log: this.#log,
    };
    const persistent = { ...common, sessionExpiryS: s.sessionExpiryS, keepaliveS: 30 };
    // rh 1: retained statuses are sent when a subscription is new, not again on every reconnect.
    const qos1 = (fs: string[]) => Object.fromEntries(fs.map((f) => [f, { qos: 1 as const, rh: 1 as const }]));
    // Heartbeats are the most frequent device message, sent at QoS 0 and idempotent (last seen,
    // armed state): one hub is enough for each, so they are shared like frames instead of being
    // written once per hub.
    const shared = { [filters.frames]: { qos: 0 as const, rh: 1 as const } };
    for (const f of filters.events.filter(isHeartbeat)) shared[`$share/${s.shareGroup}/${f}`] = { qos: 0, rh: 1 };
    const [alerting, presence] = bridgeSessionIds(this.clientId);
    const plan = [
      // Lock events and camera states, the inputs of alerts, on a connection of their own: each
      // connection handles one message at a time, and these must not wait behind the status and
      // register messages of a reconnect storm (every agent at once after a broker restart).
      { ...persistent, clientId: alerting, subscriptions: qos1(filters.events.filter(isAlerting)) },
      { ...persistent, clientId: presence, subscriptions: qos1(filters.events.filter((f) => !isAlerting(f) && !isHeartbeat(f))) },
      { ...common, clientId: `${this.clientId}-frames`, sessionExpiryS: 0, keepaliveS: 10, subscriptions: shared },
    ];
    try {
      for (const o of plan) this.#connections.push(await openExternalConnection(o));
    } catch (err) {
      await Promise.all(this.#connections.map((c) => c.close()));
      this.#connections = [];
      throw err;
    }
    await new Promise<void>((resolve) => this.deps.bus.subscribe(COMMANDS, this.#forwardCommand, () => resolve()));
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
    // A message whose ingest was refused (the hub is stopping) stays unacknowledged, so the
    // broker redelivers it on this hub's next start (and the other hubs had their own copy).
    await Promise.all(this.#connections.map((c) => c.close()));
  }
}
