import type { Kysely, Selectable } from 'kysely';
import type { Database } from './tables.ts';

/** Row types of migration 0003 (coverage, standings, history); times are epoch ms as in tables.ts. */
type Ms = number;

export interface AreaVersionsTable {
  area_id: string;
  valid_from: Ms;
  /** null: the current version. */
  valid_to: Ms | null;
  parent_id: string | null;
  level: string;
  name: string;
  kind: string | null;
  /** Census households of this area itself (not of its children); null when unknown. */
  households: number | null;
  residential_areas: number;
  residential_areas_covered: number;
  agencies: number;
  agencies_covered: number;
}

export interface HouseholdMovesTable {
  household_id: string;
  at: Ms;
  from_area_id: string;
  to_area_id: string;
}

export interface CoverageSnapshotsTable {
  area_id: string;
  /** Local (Asia/Ho_Chi_Minh) date, YYYY-MM-DD. */
  day: string;
  at: Ms;
  /** JSON of AreaFigures (coverage/figures.ts). */
  figures: string;
}

export interface CommuneStandingsTable {
  area_id: string;
  period: string;
  class: string | null;
  rating: string | null;
  by: string;
  at: Ms;
}

export interface SafetyRecognitionsTable {
  area_id: string;
  year: number;
  recognised: number;
  by: string;
  at: Ms;
}

export type CoverageTables = {
  area_versions: AreaVersionsTable;
  household_moves: HouseholdMovesTable;
  coverage_snapshots: CoverageSnapshotsTable;
  commune_standings: CommuneStandingsTable;
  safety_recognitions: SafetyRecognitionsTable;
};

/** cameras.last_frame_at comes from 0003 too; declared here so tables.ts stays the hub core's file. */
export type CoverageDatabase = Omit<Database, 'cameras'> & CoverageTables & { cameras: Database['cameras'] & { last_frame_at: Ms | null } };
export type CoverageDb = Kysely<CoverageDatabase>;
export type AreaVersion = Selectable<AreaVersionsTable>;

/** Same connection, seen with the tables of migration 0003. */
export function coverageDb(db: Kysely<Database> | Kysely<unknown>): CoverageDb {
  return db as unknown as CoverageDb;
}
