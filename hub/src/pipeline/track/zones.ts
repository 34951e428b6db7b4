import type { Box, Polygon } from '../types.ts';

/** Even-odd ray casting; points on an edge may fall either way, which is fine for zones. */
export function pointInPolygon([px, py]: [number, number], poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Whether a person box counts for a camera's zones: its foot point (bottom centre) must
 * lie in one of them, as a person standing in the zone would. No zones: the whole view counts.
 */
export function inZones(box: Box, width: number, height: number, zones: Polygon[]): boolean {
  if (zones.length === 0) return true;
  const foot: [number, number] = [(box[0] + box[2]) / 2 / width, box[3] / height];
  return zones.some((z) => pointInPolygon(foot, z));
}
