import http from 'node:http';
import { parseArgs } from 'node:util';
import { isKhoaError, KhoaError } from '@khoa/protocol';
import { advisoryCommand } from './advisory-command.ts';
import { startAgent } from './agent.ts';
import type { CommandHooks } from './commands/index.ts';
import { loadAgentConfig } from './config.ts';
import { createLogger } from './log.ts';
import { createAgentMetrics } from './metrics.ts';

const USAGE = `usage: khoa-agent --config FILE [options]

  --config FILE            agent config written by \`khoa provision agent\` (required)
  --log-level LEVEL        fatal|error|warn|info|debug|trace (default info)
  --metrics-port PORT      serve Prometheus metrics on 127.0.0.1:PORT/metrics
  --reboot-command "CMD"   what cmd/reboot runs, e.g. "sudo systemctl reboot" (default: refuse reboots)
  --advisory-command "CMD" program that plays a commune advisory; gets title and body on stdin
                           (e.g. "espeak-ng -v vi --stdin"); without it advisories are only logged`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** `khoa-agent`: runs one household's agent until SIGINT/SIGTERM. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'log-level': { type: 'string' },
        'metrics-port': { type: 'string' },
        'reboot-command': { type: 'string' },
        'advisory-command': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`khoa-agent: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config) {
    console.error(`khoa-agent: --config is required\n\n${USAGE}`);
    return 2;
  }
  const level = values['log-level'] ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) {
    console.error(`khoa-agent: --log-level must be one of ${LEVELS.join(', ')}`);
    return 2;
  }
  const log = createLogger(level as (typeof LEVELS)[number]);
  try {
    const config = loadAgentConfig(values.config, (msg) => log.warn(msg));
    const metrics = createAgentMetrics({ defaultMetrics: true });
    const rebootCommand = values['reboot-command']?.split(/\s+/).filter(Boolean);
    const advisoryArgv = values['advisory-command']?.split(/\s+/).filter(Boolean);
    const hooks: CommandHooks = {};
    if (rebootCommand?.length) hooks.rebootCommand = rebootCommand;
    if (advisoryArgv?.length) hooks.onAdvisory = advisoryCommand(advisoryArgv);
    const agent = await startAgent(config, { log, metrics, hooks });
    const server = values['metrics-port'] ? await serveMetrics(Number(values['metrics-port']), () => metrics.registry.metrics(), metrics.registry.contentType) : null;
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    server?.close();
    await agent.stop();
    return 0;
  } catch (err) {
    if (isKhoaError(err)) {
      log.fatal({ err }, 'agent cannot start');
      console.error(`khoa-agent: ${err.message} [${err.code}]`);
      return 1;
    }
    throw err;
  }
}

function serveMetrics(port: number, body: () => Promise<string>, contentType: string): Promise<http.Server> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return Promise.reject(new KhoaError('KHOA_ERR_CONFIG_INVALID', `--metrics-port ${port} is not a port`, { setting: 'metrics-port' }));
  }
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    body().then(
      (text) => res.writeHead(200, { 'content-type': contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new KhoaError('KHOA_ERR_PORT_IN_USE', `--metrics-port ${port}`, { setting: 'metrics-port', port }) : err),
    );
    // Loopback only: metrics name devices and households; Prometheus on the Pi or an SSH tunnel reads them.
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
