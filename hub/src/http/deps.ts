import type { Aedes } from 'aedes';
import type { Db } from '../storage/open.ts';
import type { Metrics } from '../metrics.ts';
import type { AlertBus } from '../alerts/bus.ts';

/** What route plugins may use. */
export interface HttpDeps {
  db: Db;
  metrics: Metrics;
  /** A getter: the broker starts after the HTTP deps are assembled. */
  broker: () => Aedes;
  alerts: AlertBus;
}
