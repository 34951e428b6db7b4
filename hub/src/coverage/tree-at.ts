import { sql } from 'kysely';
import type { CoverageDb } from '../storage/coverage-tables.ts';

/** One node of the area tree as it was at some instant, with its own census figures. */
export interface AreaNode {
  id: string;
  parentId: string | null;
  level: string;
  name: string;
  /** urban / rural as recorded on this node; children inherit it (figures.ts). */
  kind: string | null;
  /** Census households of this node itself; null when not given. */
  households: number | null;
  residentialAreas: number;
  residentialAreasCovered: number;
  agencies: number;
  agenciesCovered: number;
  children: string[];
}

export type Tree = Map<string, AreaNode>;

/**
 * The area tree valid at `at`: the version of each area in force then. Areas added with
 * `khoa area add` after migration 0003 have no version rows yet; they count from their creation.
 */
export async function treeAt(db: CoverageDb, at: number): Promise<Tree> {
  const rows = await sql<{
    id: string; parent_id: string | null; level: string; name: string; kind: string | null; households: number | null;
    residential_areas: number; residential_areas_covered: number; agencies: number; agencies_covered: number;
  }>`
    select area_id as id, parent_id, level, name, kind, households, residential_areas, residential_areas_covered, agencies, agencies_covered
      from area_versions where valid_from <= ${at} and (valid_to is null or valid_to > ${at})
    union all
    select id, parent_id, level, name, kind, null, 0, 0, 0, 0
      from areas a where a.created_at <= ${at} and not exists (select 1 from area_versions v where v.area_id = a.id)`.execute(db);
  const tree: Tree = new Map();
  for (const r of rows.rows) {
    tree.set(r.id, {
      id: r.id, parentId: r.parent_id, level: r.level, name: r.name, kind: r.kind, households: r.households === null ? null : Number(r.households),
      residentialAreas: Number(r.residential_areas), residentialAreasCovered: Number(r.residential_areas_covered),
      agencies: Number(r.agencies), agenciesCovered: Number(r.agencies_covered), children: [],
    });
  }
  for (const n of tree.values()) if (n.parentId) tree.get(n.parentId)?.children.push(n.id);
  for (const n of tree.values()) n.children.sort();
  return tree;
}

/** An area and everything below it in `tree` (empty when the area did not exist then). */
export function subtreeIds(tree: Tree, rootId: string): Set<string> {
  const out = new Set<string>();
  const stack = tree.has(rootId) ? [rootId] : [];
  while (stack.length) {
    const id = stack.pop()!;
    out.add(id);
    stack.push(...(tree.get(id)?.children ?? []));
  }
  return out;
}

/** Root-first path to an area (for breadcrumbs and report headings). */
export function pathTo(tree: Tree, id: string): AreaNode[] {
  const out: AreaNode[] = [];
  const seen = new Set<string>();
  for (let n = tree.get(id); n && !seen.has(n.id); n = n.parentId ? tree.get(n.parentId) : undefined) {
    seen.add(n.id);
    out.unshift(n);
  }
  return out;
}
