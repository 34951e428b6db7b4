import type { CliCommand } from '../command.ts';
import { configOption, parseOptions, settingsFrom } from '../options.ts';
import { startHub } from '../../hub.ts';

const usage = `usage: khoa hub [--config FILE]

Runs the hub: embedded MQTT broker (TCP; TLS and WebSocket when configured), storage,
rules and alerts, HTTP (/healthz, /metrics). Stops cleanly on SIGINT or SIGTERM.

Settings come from FILE (JSON) and KHOA_* variables, e.g. KHOA_MQTT_PORT, KHOA_HTTP_PORT,
KHOA_DATA_DIR, KHOA_DB_URL, KHOA_MQTT_TLS_PORT/CERT/KEY, KHOA_MQTT_WS_PORT, KHOA_LOG_LEVEL,
KHOA_PIPELINE_WORKERS; scale-out behind an external broker: KHOA_MQTT_EXTERNAL_URL and
KHOA_MQTT_EXTERNAL_USERNAME/PASSWORD/CLIENT_ID/SHARE_GROUP.`;

export const hub: CliCommand = {
  name: 'hub',
  summary: 'run the hub (broker, storage, rules, HTTP)',
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, configOption);
    const running = await startHub(settingsFrom(values));
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    running.log.info({ signal }, 'stopping; send the signal again to exit at once');
    // A stop stuck on a hung client or database must not leave an operator unable to quit.
    const force = () => {
      running.log.warn('second signal: exiting without a clean stop');
      process.exit(130);
    };
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    await running.stop();
    return 0;
  },
};
