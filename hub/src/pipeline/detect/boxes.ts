import type { Box, Detection } from '../types.ts';

export const area = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (area(a) + area(b) - inter);
}

/** Intersection over the smaller box: catches a partial box inside a full one (region edges). */
export function overlapOfSmaller(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.max(1e-9, Math.min(area(a), area(b)));
}

/**
 * Greedy non-maximum suppression, highest score first. `containment` also drops a box
 * mostly inside a better one: a person cut by one region's edge and whole in another.
 */
export function nms<T extends Detection>(dets: T[], iouThreshold: number, containment = 1): T[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const d of sorted) {
    if (kept.every((k) => k.label !== d.label || (iou(k.box, d.box) < iouThreshold && overlapOfSmaller(k.box, d.box) < containment))) kept.push(d);
  }
  return kept;
}
