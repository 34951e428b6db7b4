import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { isDatabaseBusy } from './busy.ts';
import type { Db } from './open.ts';

/** Ops that make a batch run at once rather than on the next turn (see GroupCommit). */
export const EAGER_OPS = 256;

/**
 * Work a store does around the ops of every transaction of the group: `begin` first, `end` last,
 * inside the transaction, so what `end` writes lands or rolls back with the ops.
 */
export interface BatchHooks {
  begin(): void;
  end(): void;
}

interface Op {
  run: () => unknown;
  /** Ops with the same key must land in order: once one fails, the later ones of the batch fail too. */
  key: string | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the broker's hot path on SQLite: the writes that arrive while the event
 * loop is busy are run in one transaction, in arrival order, on the next turn.
 *
 * Each lock event is a few microseconds of statements but a commit costs more than all of them
 * together (the WAL frame write and the lock dance), so 32 devices publishing at once paid 32
 * commits where one does. Every caller still gets its own result only after the commit, so a
 * PUBACK never promises a write that a crash could lose.
 *
 * A batch that reaches EAGER_OPS runs at once, in the turn that filled it, unless a kysely
 * transaction is open on the handle. A flood from many devices otherwise gathered thousands of
 * publishes per turn, each held with its packet and promises until the commit: the garbage
 * collector copied them all from one young-generation space to the next, and that cost more
 * than the statements (a QoS 0 flood from 32 devices: scavenges took 16-27 µs per event with
 * batches of 3,000-14,000, 6-10 µs with batches of 256).
 *
 * The ops are plain synchronous functions over prepared statements. When one throws, the
 * whole batch is rolled back and each op is run again alone, so one bad write fails only its
 * own caller. Not when the database is busy (another process holds the lock): running them
 * one by one would wait busy_timeout once per op with the event loop blocked, so the whole
 * batch fails at once and the devices resend.
 */
export class GroupCommit {
  #queue: Op[] = [];
  #scheduled = false;
  readonly #batch: (ops: Op[]) => unknown[];
  readonly #single: (op: Op) => unknown;
  readonly #native: SqliteDatabase.Database;

  constructor(
    native: SqliteDatabase.Database,
    // Kysely serialises its own use of the handle; holding its connection while a batch runs
    // keeps a batch from landing inside a transaction kysely has open (e.g. an alert's).
    private readonly kysely: Kysely<unknown>,
    private readonly onBatch?: (size: number) => void,
    private readonly eagerOps = EAGER_OPS,
  ) {
    this.#native = native;
    this.#batch = native.transaction((ops: Op[]) => this.#withHooks(() => ops.map((op) => op.run())));
    this.#single = native.transaction((op: Op) => this.#withHooks(() => op.run()));
  }

  /** Runs a transaction's ops between the stores' hooks (inside the transaction). */
  #withHooks<T>(run: () => T): T {
    for (const h of this.#hooks) h.begin();
    const result = run();
    for (const h of this.#hooks) h.end();
    return result;
  }

  readonly #hooks: BatchHooks[] = [];

  /** Adds work around every transaction's ops (see BatchHooks). */
  addHooks(hooks: BatchHooks): void {
    this.#hooks.push(hooks);
  }

  /**
   * Runs `fn` inside the next group transaction and resolves with its result once committed.
   * `key` (a device id): when a batch is run again op by op after a failure, an op whose key
   * failed earlier in the batch is not run, so a device's writes never land out of order.
   */
  run<T>(fn: () => T, key?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: fn, key, resolve: resolve as (v: unknown) => void, reject });
      // Not inside a transaction kysely has open (an alert's): that one waits for the turn.
      if (this.#queue.length >= this.eagerOps && !this.#native.inTransaction) {
        const ops = this.#queue;
        this.#queue = [];
        this.#runBatch(ops);
        return;
      }
      if (this.#scheduled) return;
      this.#scheduled = true;
      // setImmediate, not a microtask: the sockets' pending data is parsed first, so the
      // publishes of every device that sent in this turn join the batch.
      setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    await this.kysely.connection().execute(async () => {
      // Taken inside the connection: ops queued while waiting for it join this batch.
      const ops = this.#queue;
      this.#queue = [];
      this.#scheduled = false;
      if (ops.length === 0) return;
      this.#runBatch(ops);
    }).catch((err: unknown) => {
      // The connection itself failed (database closed): nothing ran, every waiting op fails.
      const ops = this.#queue;
      this.#queue = [];
      this.#scheduled = false;
      for (const op of ops) op.reject(err);
    });
  }

  /** Runs ops in one transaction and settles each; synchronous, so batches never interleave. */
  #runBatch(ops: Op[]): void {
    this.onBatch?.(ops.length);
    let results: unknown[];
    try {
      results = this.#batch(ops);
    } catch (err) {
      if (ops.length === 1 || isDatabaseBusy(err)) {
        for (const op of ops) op.reject(err);
        return;
      }
      const failed = new Map<string, unknown>();
      for (const op of ops) {
        const earlier = op.key === undefined ? undefined : failed.get(op.key);
        if (earlier !== undefined) {
          op.reject(earlier);
          continue;
        }
        try {
          op.resolve(this.#single(op));
        } catch (e) {
          if (op.key !== undefined) failed.set(op.key, e);
          op.reject(e);
        }
      }
      return;
    }
    ops.forEach((op, i) => op.resolve(results[i]));
  }
}

/**
 * The group commit the hot-path stores share on SQLite (one per hub, so lock events and
 * heartbeats of the same turn land in one transaction), or undefined on PostgreSQL, where
 * each write is its own round trip through kysely.
 */
export function groupCommitFor(db: Db, onBatch?: (size: number) => void, eagerOps = EAGER_OPS): GroupCommit | undefined {
  return db.native ? new GroupCommit(db.native, db.kysely as never, onBatch, eagerOps) : undefined;
}
