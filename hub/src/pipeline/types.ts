/** Shared shapes of the frame pipeline. Boxes are [x1, y1, x2, y2] in pixels of a stated image. */
export type Box = [number, number, number, number];

/** A person (or other label) found by the detector, in source-frame pixels. */
export interface Detection {
  label: string;
  score: number;
  box: Box;
}

/** Decoded RGB pixels, 3 bytes per pixel, rows packed. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A square window of an image, in that image's pixels; it may stick out of the frame. */
export interface Region {
  x: number;
  y: number;
  size: number;
}

/** Normalised polygon (masks, zones): [x, y] as fractions of frame width and height, 0..1. */
export type Polygon = [number, number][];
