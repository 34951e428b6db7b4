import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const khoaBin = fileURLToPath(new URL('../../hub/bin/khoa.js', import.meta.url));

export interface HubProcess {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  /** Sends SIGTERM and waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

/**
 * Runs `khoa hub` as its own process, as in production, so its CPU and memory can be measured
 * apart from the load generator. Resolves once its "hub started" log line gives the ports.
 */
export async function startHubProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<HubProcess> {
  const child = spawn(process.execPath, [khoaBin, 'hub'], {
    env: { ...process.env, KHOA_MQTT_HOST: '127.0.0.1', KHOA_HTTP_HOST: '127.0.0.1', KHOA_MQTT_PORT: '0', KHOA_HTTP_PORT: '0', KHOA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    void exited.then((code) => reject(new Error(`hub exited (${code}) before starting: ${stderr}`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; mqtt?: { tcp: number }; http?: number };
        if (rec.msg === 'hub started' && rec.mqtt && rec.http) {
          clearTimeout(timer);
          resolve({ mqtt: rec.mqtt.tcp, http: rec.http });
        }
      } catch {
        // not a log line
      }
    });
  });
  return {
    child,
    mqttPort: ports.mqtt,
    httpPort: ports.http,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
