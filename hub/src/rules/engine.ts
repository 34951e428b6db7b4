import type { Metrics } from '../metrics.ts';
import type { Rule, RuleContext, RuleInput } from './types.ts';

/** A rule and its handler for one kind of input. */
interface Handling {
  rule: Rule;
  handler: (i: RuleInput, c: RuleContext) => Promise<void> | void;
}

/**
 * Runs the registered rules. Every rule runs on its own: one that throws or rejects is logged
 * and counted (khoa_rule_failures_total) and never stops the others, so a broken rule can not
 * swallow a door-forced alert.
 */
export class RuleEngine {
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(
    readonly rules: readonly Rule[],
    private readonly ctx: RuleContext,
    private readonly metrics: Metrics,
  ) {}

  /** The rules that handle each input kind, and each lock event type, in registration order: dispatch runs per lock event. */
  readonly #byKind = new Map<string, Handling[]>();
  readonly #byLockEventType = new Map<string, Handling[]>();

  /**
   * Feeds one input to every rule that handles its kind (or only to the rules named in `only`).
   * Never rejects; gives the names of the rules that failed, so a caller can run them again
   * rather than take the input as handled. Synchronously when no rule returned a promise (most
   * lock events): no promise per event on the broker's path.
   */
  dispatch(input: RuleInput, only?: ReadonlySet<string>): string[] | Promise<string[]> {
    const type = input.kind === 'lock_event' ? input.event.type : undefined;
    // Keyed by the event type itself for lock events (no key string built per event).
    const cache = type ? this.#byLockEventType : this.#byKind;
    const key = type ?? input.kind;
    let entries = cache.get(key);
    if (!entries) {
      entries = this.rules.flatMap((rule) => {
        const handler = rule.on?.[input.kind] as Handling['handler'] | undefined;
        if (type && rule.lockEventTypes && !rule.lockEventTypes.includes(type)) return [];
        return handler ? [{ rule, handler }] : [];
      });
      cache.set(key, entries);
    }
    const failed: string[] = [];
    const pending: Promise<void>[] = [];
    for (const { rule, handler } of entries) {
      if (only && !only.has(rule.name)) continue;
      // Anonymous arrows only: tsx names each named one it creates, on every lock event.
      try {
        const result = handler(input, this.ctx);
        if (result) pending.push(result.catch((err: unknown) => this.#failed(rule, input.kind, err, failed)));
      } catch (err) {
        this.#failed(rule, input.kind, err, failed);
      }
    }
    return pending.length > 0 ? Promise.all(pending).then(() => failed) : failed;
  }

  /** Evaluates the time-based rules once. Never rejects; overlapping calls share one run. */
  tick(): Promise<void> {
    this.#ticking ??= Promise.all(this.rules.map((rule) => (rule.tick ? this.#isolated(rule, 'tick', () => rule.tick!(this.ctx)) : undefined))).then(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  start(intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    // The timer alone must not keep a process (a CLI, a test) alive.
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /** Runs one rule's handler; false when it threw (counted and logged). */
  async #isolated(rule: Rule, what: string, run: () => Promise<void> | void): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (err) {
      this.#failure(rule, what, err);
      return false;
    }
  }

  #failed(rule: Rule, what: string, err: unknown, failed: string[]): void {
    this.#failure(rule, what, err);
    failed.push(rule.name);
  }

  #failure(rule: Rule, what: string, err: unknown): void {
    this.metrics.ruleFailures.inc({ rule: rule.name });
    this.ctx.log.error({ err, rule: rule.name, input: what }, 'rule failed; other rules unaffected');
  }
}
