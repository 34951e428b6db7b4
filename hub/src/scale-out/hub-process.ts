import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { tempDir } from '../testing/databases.ts';
import { bridgeSessionIds } from '../broker/external-bridge.ts';

/** A `khoa hub` child process in scale-out mode (for the scale-out test and bench). */
export interface HubProcess {
  name: string;
  clientId: string;
  child: ChildProcessWithoutNullStreams;
  http: number;
  exited: Promise<number | null>;
  /** Its stdout/stderr lines so far, for failure messages. */
  log: string[];
  /** SIGTERM (or nothing if already dead), wait, delete its data dir; resolves to the exit code (null if killed by a signal). */
  stop(): Promise<number | null>;
}

export interface HubProcessOptions {
  name: string;
  brokerUrl: string;
  dbUrl: string;
  dbSchema: string;
  clientId: string;
  shareGroup: string;
  pipelineWorkers: number;
  /** Extra KHOA_* variables (e.g. shorter rule timers for tests). */
  env?: Record<string, string>;
}

const bin = fileURLToPath(new URL('../../bin/khoa.js', import.meta.url));

/** Spawns `node hub/bin/khoa.js hub` and resolves once it logs "hub started". */
export function startHubProcess(o: HubProcessOptions): Promise<HubProcess> {
  const dataDir = tempDir(`khoa-scale-${o.name}-`);
  const env = {
    ...process.env,
    KHOA_DATA_DIR: dataDir,
    KHOA_DB_URL: o.dbUrl,
    KHOA_DB_SCHEMA: o.dbSchema,
    KHOA_MQTT_EXTERNAL_URL: o.brokerUrl,
    KHOA_MQTT_EXTERNAL_CLIENT_ID: o.clientId,
    KHOA_MQTT_EXTERNAL_SHARE_GROUP: o.shareGroup,
    KHOA_MQTT_PORT: '0',
    KHOA_HTTP_PORT: '0',
    KHOA_HTTP_HOST: '127.0.0.1',
    KHOA_PIPELINE_WORKERS: String(o.pipelineWorkers),
    KHOA_LOG_LEVEL: 'info',
    ...o.env,
  };
  const child = spawn(process.execPath, [bin, 'hub'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        log.push(line);
        if (!line.includes('"hub started"')) continue;
        const http = (JSON.parse(line) as { http: number }).http;
        resolve({
          name: o.name,
          clientId: o.clientId,
          child,
          http,
          exited,
          log,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            const code = await exited;
            rmSync(dataDir, { recursive: true, force: true });
            return code;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`hub ${o.name} exited (${code}) before starting:\n${log.join('\n').slice(-3000)}`)));
  });
}

/** Sum of a metric's samples whose labels include `labels`, from the hub's /metrics. */
export async function hubMetric(hub: Pick<HubProcess, 'http'>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${hub.http}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** Ends hubs' persistent sessions on the broker (a Clean Start with expiry 0), so a test leaves nothing queued there. */
export async function endBrokerSessions(brokerUrl: string, hubClientIds: string[]): Promise<void> {
  for (const clientId of hubClientIds.flatMap(bridgeSessionIds)) await (await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clientId, clean: true, reconnectPeriod: 0 })).endAsync();
}
