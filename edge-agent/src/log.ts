import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The agent's structured logger (JSON lines on stdout, collected by journald on the Pi). The
 * config file holds the device's only copy of its MQTT password, so it is redacted by path in
 * case a config object is ever logged by mistake.
 */
export function createLogger(level: LevelWithSilent = 'info', base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { app: 'khoa-agent', ...base },
    redact: { paths: ['password', '*.password', 'config.password', 'mqtt.ca', '*.mqtt.ca'], censor: '[redacted]' },
  });
}
