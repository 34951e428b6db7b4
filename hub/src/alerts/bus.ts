import type { Alert } from '../storage/tables.ts';

export type AlertListener = (alert: Alert) => void;

/**
 * Tells live consumers (the police console's push, tests) about each new alert after it is
 * stored. A listener that throws is isolated: the others still hear the alert.
 */
export class AlertBus {
  readonly #listeners = new Set<AlertListener>();
  constructor(private readonly onListenerError: (err: unknown) => void) {}

  /** Subscribes; returns the unsubscribe function. */
  on(listener: AlertListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(alert: Alert): void {
    for (const l of this.#listeners) {
      try {
        l(alert);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
