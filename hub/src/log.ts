import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The hub's structured logger (JSON lines on stdout). Subsystems take a child with their
 * name; anything about a device carries `deviceId` and `householdId` so one grep finds a
 * household's history. Secrets are redacted by path as a second line of defence.
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { app: 'khoa-hub' },
    redact: { paths: ['password', '*.password', 'credentialHash', '*.credentialHash'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A child logger for one device. */
export function deviceLogger(log: Logger, ref: { deviceId: string; householdId?: string | undefined }): Logger {
  return log.child({ deviceId: ref.deviceId, householdId: ref.householdId });
}
