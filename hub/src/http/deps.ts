import type { Aedes } from 'aedes';
import type { Db } from '../storage/open.ts';
import type { Metrics } from '../metrics.ts';
import type { AlertBus } from '../alerts/bus.ts';
import type { RaiseAlert } from '../alerts/raise.ts';
import type { Settings } from '../settings/schema.ts';
import type { Logger } from '../log.ts';

/** What route plugins may use. */
export interface HttpDeps {
  db: Db;
  metrics: Metrics;
  /** A getter: the broker starts after the HTTP deps are assembled. */
  broker: () => Aedes;
  alerts: AlertBus;
  settings?: Settings;
  /** The hub's alert raiser (deduplicated, counted, announced on `alerts`). */
  raise?: RaiseAlert;
  log?: Logger;
  /** The hub's clock. */
  now?: () => number;
}
