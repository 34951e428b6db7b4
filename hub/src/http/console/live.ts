import type { AlertDto } from '@khoa/protocol';
import type { Principal } from '../../accounts/index.ts';
import type { AlertBus } from '../../alerts/bus.ts';
import type { Alert } from '../../storage/tables.ts';
import { getAlertRow, type AlertRow } from '../../storage/alert-queries.ts';
import type { ConsoleDb } from '../../storage/console-tables.ts';
import type { Logger } from '../../log.ts';
import { alertDto } from './dto.ts';
import { seesHousehold } from './scope.ts';

export interface LiveSubscriber {
  /** Refreshed at each heartbeat, so a changed scope or an ended session takes effect. */
  principal: Principal;
  /** Writes one server-sent event; false when the connection is gone. */
  send(event: 'alert' | 'update', data: AlertDto): boolean;
  close(): void;
}

/**
 * Fans alerts out to open console streams, each filtered by its session's scope: an officer's
 * stream carries only alerts of households in its area subtree, a household's only its own.
 * The row (with the household's area) is read once per alert, not once per subscriber.
 */
export class ConsoleLive {
  readonly #subs = new Set<LiveSubscriber>();
  #off: (() => void) | undefined;

  constructor(
    private readonly db: ConsoleDb,
    private readonly bus: AlertBus,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.#off = this.bus.on((alert: Alert) => {
      void this.#fanOut('alert', Number(alert.id)).catch((err: unknown) => this.log.error({ err, alertId: alert.id }, 'live push failed'));
    });
  }

  stop(): void {
    this.#off?.();
    this.#subs.clear();
  }

  get size(): number {
    return this.#subs.size;
  }

  add(s: LiveSubscriber): () => void {
    this.#subs.add(s);
    return () => this.#subs.delete(s);
  }

  /** Closes the streams of a session at logout, not at its next heartbeat. */
  endSession(tokenHash: string): void {
    for (const s of this.#subs) {
      if (s.principal.tokenHash === tokenHash) {
        this.#subs.delete(s);
        s.close();
      }
    }
  }

  /** After a workflow step, so every console showing the alert updates its row. */
  changed(id: number): void {
    void this.#fanOut('update', id).catch((err: unknown) => this.log.error({ err, alertId: id }, 'live update failed'));
  }

  async #fanOut(event: 'alert' | 'update', id: number): Promise<void> {
    if (this.#subs.size === 0) return;
    const row: AlertRow | undefined = await getAlertRow(this.db, id);
    if (!row) return;
    const dto = alertDto(row, this.now());
    const h = { id: row.household_id, area_id: row.area_id };
    for (const s of this.#subs) {
      if (seesHousehold(s.principal, h) && !s.send(event, dto)) this.#subs.delete(s);
    }
  }
}
