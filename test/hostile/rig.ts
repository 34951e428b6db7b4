import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Hub } from '../../hub/src/hub.ts';

// Helpers of the hostile-input suites: requests and MQTT connections from a chosen source
// address (every 127.x.y.z is loopback on Linux, so one machine plays many attackers), and the
// hub's counters.

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over a fresh connection from `localAddress`. */
export function httpFrom(
  localAddress: string,
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, localAddress, method, path, agent: false, headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A console login from `localAddress`; the status and the error code when refused. */
export async function loginFrom(localAddress: string, port: number, username: string, password: string): Promise<{ status: number; code?: string; cookie?: string }> {
  const r = await httpFrom(localAddress, port, 'POST', '/api/login', JSON.stringify({ username, password }));
  const cookies = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  let code: string | undefined;
  try {
    code = (JSON.parse(r.body) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status: r.status, ...(code && { code }), ...(cookies.length && { cookie: cookies.map((c) => c.split(';')[0]).join('; ') }) };
}

/**
 * A real mqtt.js client whose socket comes from `localAddress`. Resolves with the client, or
 * with the CONNACK return code the broker refused it with (4 bad credentials, 5 not authorised).
 */
export function mqttFrom(localAddress: string, port: number, opts: IClientOptions): Promise<{ client: MqttClient } | { refused: number | string }> {
  return new Promise((resolve) => {
    const client = new mqtt.MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4, ...opts });
    const done = (v: { client: MqttClient } | { refused: number | string }) => {
      client.removeAllListeners('connect');
      client.removeAllListeners('error');
      client.on('error', () => {});
      resolve(v);
    };
    client.once('connect', () => done({ client }));
    client.once('error', (err: Error & { code?: number | string }) => {
      client.end(true);
      done({ refused: err.code ?? err.message });
    });
    client.once('close', () => {
      if (!client.connected) done({ refused: 'closed' });
    });
  });
}

/** The sum of a counter's samples whose labels include `labels`. */
export async function counter(hub: Hub, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await hub.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)).reduce((a, v) => a + v.value, 0);
}

/** Resident memory of this process (the hub runs in it), in MB, after a full GC when exposed. */
export function rssMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}
