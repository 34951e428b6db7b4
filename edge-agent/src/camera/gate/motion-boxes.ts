/**
 * Groups changed pixels into boxes: the plane is cut into `cell`×`cell` tiles, a tile with
 * at least `minPixels` changed pixels is "on", and 4-connected "on" tiles form one box. Cheaper
 * than contour tracing and good enough for a hint; the hub finds its own boxes.
 */
export function motionBoxes(mask: Uint8Array, width: number, height: number, cell = 6, minPixels = 2, maxBoxes = 32): [number, number, number, number][] {
  const cw = Math.ceil(width / cell);
  const ch = Math.ceil(height / cell);
  const on = new Uint8Array(cw * ch);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const crow = Math.floor(y / cell) * cw;
    for (let x = 0; x < width; x++) if (mask[row + x]) on[crow + Math.floor(x / cell)]! += 1;
  }
  const boxes: [number, number, number, number][] = [];
  const seen = new Uint8Array(cw * ch);
  const stack: number[] = [];
  for (let i = 0; i < on.length; i++) {
    if (seen[i] || (on[i] as number) < minPixels) continue;
    let x1 = cw;
    let y1 = ch;
    let x2 = -1;
    let y2 = -1;
    stack.push(i);
    seen[i] = 1;
    while (stack.length > 0) {
      const j = stack.pop() as number;
      const cx = j % cw;
      const cy = (j - cx) / cw;
      if (cx < x1) x1 = cx;
      if (cy < y1) y1 = cy;
      if (cx > x2) x2 = cx;
      if (cy > y2) y2 = cy;
      const next = [cx > 0 ? j - 1 : -1, cx < cw - 1 ? j + 1 : -1, cy > 0 ? j - cw : -1, cy < ch - 1 ? j + cw : -1];
      for (const k of next) {
        if (k >= 0 && !seen[k] && (on[k] as number) >= minPixels) {
          seen[k] = 1;
          stack.push(k);
        }
      }
    }
    boxes.push([x1 * cell, y1 * cell, Math.min(width, (x2 + 1) * cell), Math.min(height, (y2 + 1) * cell)]);
  }
  // Largest first, so the cap drops specks rather than the person.
  boxes.sort((a, b) => (b[2] - b[0]) * (b[3] - b[1]) - (a[2] - a[0]) * (a[3] - a[1]));
  return boxes.slice(0, maxBoxes);
}
