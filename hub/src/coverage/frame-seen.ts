import type { Kysely } from 'kysely';
import type { Database } from '../storage/tables.ts';
import { coverageDb } from '../storage/coverage-tables.ts';

/**
 * Records when each camera last delivered a frame (cameras.last_frame_at), for coverage.
 * Frames arrive several a second on the broker's hot path, and coverage looks at a window of
 * hours, so a camera's row is written at most once per `everyMs`; the write is not awaited
 * and a failure only loses one mark.
 */
export class FrameSeen {
  readonly #last = new Map<string, number>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly everyMs = 5 * 60_000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  note(deviceId: string, cameraId: string, at: number): void {
    const key = `${deviceId}/${cameraId}`;
    const prev = this.#last.get(key);
    if (prev !== undefined && at - prev < this.everyMs) return;
    this.#last.set(key, at);
    try {
      coverageDb(this.db)
        .updateTable('cameras')
        .set({ last_frame_at: at })
        .where('device_id', '=', deviceId)
        .where('camera_id', '=', cameraId)
        .execute()
        .catch(this.onError);
    } catch (err) {
      this.onError(err);
    }
  }
}

const perDb = new WeakMap<object, FrameSeen>();

/** The recorder of a database (one per hub), made on first use so ingest needs no new wiring. */
export function frameSeen(db: Kysely<Database>): FrameSeen {
  let f = perDb.get(db);
  if (!f) perDb.set(db, (f = new FrameSeen(db)));
  return f;
}
