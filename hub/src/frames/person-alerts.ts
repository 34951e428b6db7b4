import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Pipeline, PipelineAlert, CameraStateEvent } from '../pipeline/index.ts';
import type { RaiseAlert } from '../alerts/raise.ts';
import type { Database } from '../storage/tables.ts';
import { getHousehold } from '../storage/households.ts';
import { findOpenAlert } from '../storage/alerts.ts';
import type { Logger } from '../log.ts';

export interface PersonAlertDeps {
  db: Kysely<Database>;
  raise: RaiseAlert;
  log: Logger;
  /** Snapshots are written under `dataDir/snapshots/`; alerts store the path relative to dataDir. */
  dataDir: string;
  /** Counts what the pipeline found but that raised nothing (disarmed household, duplicate). */
  onSuppressed?(reason: 'disarmed' | 'unknown_household' | 'duplicate'): void;
}

const day = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/**
 * Turns the pipeline's confirmed person tracks into `person` alerts (only while the household is
 * armed: a family walking through its own living room is not an alarm) and its blinded-camera
 * findings into `camera_blinded` alerts. The snapshot with boxes is on disk before the alert row
 * exists, so a console that receives the alert can show its picture at once.
 */
export function routePipelineAlerts(pipeline: Pipeline, deps: PersonAlertDeps): () => void {
  const onAlert = (a: PipelineAlert) => {
    void handlePerson(a, deps).catch((err: unknown) => deps.log.error({ err, cameraId: a.cameraId }, 'person alert failed'));
  };
  const onState = (e: CameraStateEvent) => {
    if (e.state !== 'blinded' || !e.origin) return;
    const { householdId, deviceId, cameraId } = e.origin;
    void deps
      .raise({ kind: 'camera_blinded', householdId, deviceId, subject: cameraId, detail: 'the hub saw a covered or flat view' })
      .catch((err: unknown) => deps.log.error({ err, cameraId }, 'blinded alert failed'));
  };
  pipeline.on('alert', onAlert);
  pipeline.on('camera_state', onState);
  return () => {
    pipeline.off('alert', onAlert);
    pipeline.off('camera_state', onState);
  };
}

async function handlePerson(a: PipelineAlert, deps: PersonAlertDeps): Promise<void> {
  if (!a.origin) return; // submitted directly (CLI, bench): no household to alert
  const { householdId, deviceId, cameraId } = a.origin;
  const household = await getHousehold(deps.db, householdId);
  if (!household) return deps.onSuppressed?.('unknown_household');
  if (!household.armed) {
    deps.log.debug({ householdId, cameraId, trackId: a.trackId }, 'person seen while disarmed: no alert');
    return deps.onSuppressed?.('disarmed');
  }
  // One open person alert per camera is enough for the police: while it is open, further tracks
  // write no picture (the insert below still decides races between hubs).
  if (await findOpenAlert(deps.db, { kind: 'person', deviceId, subject: cameraId })) return deps.onSuppressed?.('duplicate');
  const relative = join('snapshots', householdId, day(a.ts), `${cameraId}-${a.ts}-${a.trackId}.jpg`);
  const file = join(deps.dataDir, relative);
  await mkdir(join(deps.dataDir, 'snapshots', householdId, day(a.ts)), { recursive: true });
  await writeFile(file, a.snapshot, { mode: 0o600 });
  const alert = await deps.raise({
    kind: 'person',
    householdId,
    deviceId,
    subject: cameraId,
    snapshotPath: relative,
    detail: JSON.stringify({ score: Math.round(a.score * 1000) / 1000, box: a.box.map((v) => Math.round(v)), trackId: a.trackId }),
  });
  if (!alert) {
    // Another hub raised it between the check and the insert; its picture is the one kept.
    await rm(file, { force: true });
    deps.onSuppressed?.('duplicate');
  }
}
