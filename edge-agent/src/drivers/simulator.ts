import { Type } from '@sinclair/typebox';
import { compile, LOCK_EVENT_TYPES } from '@khoa/protocol';
import { driverOptions, type DriverEvent, type LockDriver, type LockDriverContext, type LockDriverFactory } from './types.ts';

const EventType = Type.Union(LOCK_EVENT_TYPES.map((t) => Type.Literal(t)));

export const SimulatorOptionsSchema = Type.Object(
  {
    /** Events played in order, each `afterMs` after the previous one (or after start). */
    steps: Type.Optional(
      Type.Array(
        Type.Object(
          {
            afterMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
            type: EventType,
            battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
            failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 10_000 },
      ),
    ),
    /** Start the script again after its last step (a demo household that lives forever). */
    repeat: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const optionsValidator = compile(SimulatorOptionsSchema, 'KHOA_ERR_CONFIG_INVALID');

/**
 * A lock that exists only in software: plays a script of timed steps from its options, and
 * takes events programmatically through `emit`. Used by the demo household and by tests.
 */
export class SimulatorDriver implements LockDriver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private readonly steps: NonNullable<ReturnType<typeof optionsValidator.assert>['steps']>;
  private readonly repeat: boolean;

  constructor(private readonly ctx: LockDriverContext) {
    const o = driverOptions(optionsValidator, ctx.lock);
    this.steps = o.steps ?? [];
    this.repeat = o.repeat ?? false;
  }

  async start(): Promise<void> {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Reports an event now, as if the device had sent it. */
  emit(type: DriverEvent['type'], extra: Omit<DriverEvent, 'type'> = {}): void {
    this.ctx.emit({ type, ...extra });
  }

  private schedule(i: number): void {
    if (!this.running) return;
    if (i >= this.steps.length) {
      // A repeating script with no delay anywhere would spin; require some time to pass.
      if (this.repeat && this.steps.some((s) => s.afterMs > 0)) this.schedule(0);
      return;
    }
    const step = this.steps[i];
    if (!step) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const { afterMs: _afterMs, type, ...extra } = step;
      this.emit(type, extra);
      this.schedule(i + 1);
    }, step.afterMs);
  }
}

export const simulatorDriver: LockDriverFactory<SimulatorDriver> = {
  key: 'simulator',
  create: (ctx) => new SimulatorDriver(ctx),
};
