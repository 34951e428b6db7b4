import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Aedes } from 'aedes';
import { connect, type MqttClient } from 'mqtt';

/**
 * Test harness: a real aedes broker on a real TCP port, which can be killed (sockets destroyed,
 * as a crash or a cut cable would) and started again on the same port. The default aedes
 * persistence is in memory, so a restarted broker forgets sessions, like a hub restart without
 * a persistent store.
 */
export interface TestBroker {
  port: number;
  url: string;
  /** The aedes instance currently running. */
  aedes: Aedes;
  /** Destroys every socket and closes the broker. */
  kill(): Promise<void>;
  /** Starts a fresh broker on the same port. */
  restart(): Promise<void>;
  /** Destroys one client's socket without a DISCONNECT (its Last Will fires). */
  dropClient(clientId: string): boolean;

}

export interface BrokerOptions {
  /** Accepted passwords by username; when set, anything else is refused like the hub would. */
  credentials?: Record<string, string>;
  /** Serve MQTT over TLS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export async function startTestBroker(opts: BrokerOptions = {}, port = 0): Promise<TestBroker> {
  // Imported lazily: aedes is a test-only dependency of the agent.
  const { Aedes: AedesClass } = await import('aedes');
  let aedes!: Aedes;
  let server!: net.Server;
  const sockets = new Set<net.Socket>();

  const boot = async (p: number): Promise<number> => {
    aedes = await AedesClass.createBroker();
    if (opts.credentials) {
      const creds = opts.credentials;
      aedes.authenticate = (client, username, password, done) => {
        // Observers stand in for the hub's own subscriber, which sits inside the broker process.
        if (client.id.startsWith('observer-')) return done(null, true);
        const ok = username !== undefined && username === client.id && creds[username] !== undefined && password?.toString() === creds[username];
        done(null, ok);
      };
    }
    const onSocket = (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    };
    server = opts.tls ? tls.createServer(opts.tls, onSocket) : net.createServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  };

  const actual = await boot(port);
  const harness: TestBroker = {
    port: actual,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${actual}`,
    get aedes() {
      return aedes;
    },
    async kill() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
    async restart() {
      await boot(actual);
    },
    dropClient(clientId) {
      const c = (aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients[clientId];
      if (!c) return false;
      c.conn.destroy();
      return true;
    },
  };
  return harness;
}

export interface Observer {
  client: MqttClient;
  messages: { topic: string; payload: Buffer; retain: boolean }[];
  /** Resolves when a message matching `pred` has been seen (including earlier ones). */
  waitFor(pred: (m: { topic: string; payload: Buffer; retain: boolean }) => boolean, timeoutMs?: number): Promise<{ topic: string; payload: Buffer; retain: boolean }>;
  close(): Promise<void>;
}

/** A real mqtt.js client watching topics, as the hub would. */
export async function observe(url: string, filters: string[], clientId = `observer-${Math.random().toString(16).slice(2, 8)}`): Promise<Observer> {
  const client = connect(url, { clientId, reconnectPeriod: 50, protocolVersion: 4 });
  const messages: Observer['messages'] = [];
  const waiters: { pred: (m: Observer['messages'][number]) => boolean; resolve: (m: Observer['messages'][number]) => void }[] = [];
  client.on('message', (topic, payload, packet) => {
    const m = { topic, payload, retain: packet.retain };
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(filters.map((f) => ({ topic: f, qos: 1 as const })).reduce<Record<string, { qos: 1 }>>((acc, s) => ({ ...acc, [s.topic]: { qos: s.qos } }), {}));
  return {
    client,
    messages,
    waitFor(pred, timeoutMs = 5000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (m: Observer['messages'][number]) => (clearTimeout(t), resolve(m)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for a message (${messages.length} seen: ${messages.map((m) => m.topic).slice(-10).join(', ')})`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => client.endAsync(true),
  };
}

/** Polls `cond` until true, for states that change without an event to await. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A TCP relay in front of a broker that can stop taking bytes from its clients, which is how a
 * congested uplink looks from the Pi: writes pile up in the socket.
 */
export async function startStallableProxy(targetPort: number): Promise<{ port: number; url: string; stall(on: boolean): void; cut(): void; close(): Promise<void> }> {
  const inbound = new Set<net.Socket>();
  let stalled = false;
  const server = net.createServer((a) => {
    inbound.add(a);
    const b = net.connect(targetPort, '127.0.0.1');
    a.on('data', (d) => b.write(d));
    b.on('data', (d) => a.write(d));
    const end = () => {
      a.destroy();
      b.destroy();
      inbound.delete(a);
    };
    a.on('close', end);
    b.on('close', end);
    a.on('error', end);
    b.on('error', end);
    if (stalled) a.pause();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stall(on) {
      stalled = on;
      for (const a of inbound) {
        if (on) a.pause();
        else a.resume();
      }
    },
    /** Cuts every relayed connection without a word, as a dropped uplink would. */
    cut() {
      for (const a of inbound) a.destroy();
    },
    async close() {
      for (const a of inbound) a.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
