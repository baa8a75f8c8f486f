/**
 * The "peak" set of the racecar paper (arXiv 2007.00024), generated: 28×28 images with an
 * anti-aliased filled disc (≈6 px diameter) in the top-left (class 0) or bottom-right
 * (class 1) corner, plus a random hand-drawn-like stroke as a distractor. The class is
 * decided by the disc alone; a network that reconstructs the disc and ignores the stroke has
 * learned the task, which is what the racecar reverse pass is scored on.
 *
 * Strokes are chains of cubic Béziers whose control points lie in a random box inside the
 * top-right or bottom-left quadrant — which one is drawn independently of the class, so the
 * stroke carries no label information. A Bézier stays inside the convex hull of its control
 * points, so the stroke never touches either disc corner without any rejection sampling.
 */
import { check } from '../core/errors.js';
import { Random } from '../core/random.js';
import { makeDataset, type DataSplit, type Dataset } from './dataset.js';

/** Image side length. */
export const PEAK_SIDE = 28;
/** Disc radius in pixels (diameter ≈ 6, rows 5–10 / cols 4–9 for class 0). */
export const PEAK_DISC_RADIUS = 3;
/** Nominal disc centres `[row, col]` per class (pixel centres at integer coordinates). */
export const PEAK_CENTERS: readonly (readonly [number, number])[] = [
  [7.5, 6.5],
  [21.5, 21.5],
];
/** Half the stroke thickness: strokes are ≈1.5 px wide. */
const STROKE_HALF_WIDTH = 0.75;
/** Corners `[rowMin, colMin]` of the square areas (side {@link QUADRANT_SIDE}) strokes are drawn in: top-right, bottom-left. */
const STROKE_QUADRANTS: readonly (readonly [number, number])[] = [
  [1, 15],
  [15, 1],
];
const QUADRANT_SIDE = 11;
const SAMPLES_PER_CURVE = 16;

/** Options of {@link loadPeak}. */
export interface PeakOptions {
  /** Training images, classes alternating (default 100 = 50 per class). */
  trainSize?: number;
  /** Test images, classes alternating (default 10 = 5 per class). */
  testSize?: number;
  /** Generator (default `new Random(0)`): the same seed gives identical images. */
  rng?: Random;
  /** Values 0–255 instead of [0, 1] (the paper's raw pixels). */
  rawPixels?: boolean;
  /** Maximum shift of the disc centre from its nominal position, per axis, in px (default 1). */
  jitter?: number;
}

type Point = readonly [number, number];

/** The pixel range `[min, max]` along `axis` within `reach` of `points` (clipped to the image). */
function span(points: readonly Point[], axis: 0 | 1, reach: number): [number, number] {
  const values = points.map((p) => p[axis]);
  return [
    Math.max(0, Math.floor(Math.min(...values) - reach)),
    Math.min(PEAK_SIDE - 1, Math.ceil(Math.max(...values) + reach)),
  ];
}

/**
 * Draws a shape into `image` with anti-aliasing: a pixel at distance `d` from the shape's
 * centre line gets coverage `clamp(halfWidth + ½ − d, 0, 1)` (a one-pixel linear ramp at
 * the edge), combined with what is already there by max. Only pixels within `halfWidth + 1`
 * of `points`' bounding box are visited, which makes generation ~5× faster.
 */
function paint(
  image: Float32Array,
  points: readonly Point[],
  distance: (row: number, col: number) => number,
  halfWidth: number,
): void {
  const [[r0, r1], [c0, c1]] = [span(points, 0, halfWidth + 1), span(points, 1, halfWidth + 1)];
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      const value = Math.min(1, Math.max(0, halfWidth + 0.5 - distance(r, c)));
      const p = r * PEAK_SIDE + c;
      if (value > image[p]) image[p] = value;
    }
  }
}

/** Distance from (r, c) to the segment a–b. */
function segmentDistance(r: number, c: number, a: Point, b: Point): number {
  const dr = b[0] - a[0];
  const dc = b[1] - a[1];
  const len2 = dr * dr + dc * dc;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((r - a[0]) * dr + (c - a[1]) * dc) / len2));
  return Math.hypot(r - a[0] - t * dr, c - a[1] - t * dc);
}

/** Points along the cubic Bézier p0..p3. */
function bezier(p0: Point, p1: Point, p2: Point, p3: Point): Point[] {
  return Array.from({ length: SAMPLES_PER_CURVE + 1 }, (_, k) => {
    const t = k / SAMPLES_PER_CURVE;
    const [a, b, c, d] = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3];
    return [
      a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
      a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
    ] as const;
  });
}

/**
 * A scribble: 1–3 chained cubic Béziers with control points in a random box (side 5–11 px)
 * of a random stroke quadrant. Each curve starts where the last ended and leaves in the same
 * direction (mirrored control point, clamped to the box), so the chain looks drawn in one go.
 */
function strokePolyline(rng: Random): Point[] {
  const [qr, qc] = STROKE_QUADRANTS[rng.int(STROKE_QUADRANTS.length)];
  const side = 5 + rng.uniform() * (QUADRANT_SIDE - 5);
  const top = qr + rng.uniform() * (QUADRANT_SIDE - side);
  const left = qc + rng.uniform() * (QUADRANT_SIDE - side);
  const clamp = (p: Point): Point => [
    Math.min(top + side, Math.max(top, p[0])),
    Math.min(left + side, Math.max(left, p[1])),
  ];
  const point = (): Point => [top + rng.uniform() * side, left + rng.uniform() * side];
  let start = point();
  let lead = point();
  const line: Point[] = [];
  for (let curves = 1 + rng.int(3); curves > 0; curves--) {
    const [p2, p3] = [point(), point()];
    line.push(...bezier(start, lead, p2, p3));
    lead = clamp([2 * p3[0] - p2[0], 2 * p3[1] - p2[1]]);
    start = p3;
  }
  return line;
}

/** Draws the disc of `classIndex` centred at nominal centre + `offset`. */
function paintDisc(image: Float32Array, classIndex: number, offset: Point = [0, 0]): void {
  const [cr, cc] = [
    PEAK_CENTERS[classIndex][0] + offset[0],
    PEAK_CENTERS[classIndex][1] + offset[1],
  ];
  paint(image, [[cr, cc]], (r, c) => Math.hypot(r - cr, c - cc), PEAK_DISC_RADIUS);
}

/** Draws a random stroke. */
function paintStroke(image: Float32Array, rng: Random): void {
  const line = strokePolyline(rng);
  paint(
    image,
    line,
    (r, c) => {
      let best = Infinity;
      for (let k = 1; k < line.length; k++)
        best = Math.min(best, segmentDistance(r, c, line[k - 1], line[k]));
      return best;
    },
    STROKE_HALF_WIDTH,
  );
}

/** Scales [0, 1] images to 0–255 in place when raw pixels are asked for. */
function scale(x: Float32Array, rawPixels: boolean | undefined): Float32Array {
  if (rawPixels) for (let i = 0; i < x.length; i++) x[i] *= 255;
  return x;
}

/** `count` peak images, classes alternating 0, 1, 0, … */
function generate(
  name: string,
  count: number,
  rng: Random,
  jitter: number,
  rawPixels?: boolean,
): Dataset {
  check(
    Number.isInteger(count) && count > 0,
    `peak: ${name} size ${count} is not a positive integer`,
    'pass a whole number of images ≥ 1',
  );
  const per = PEAK_SIDE * PEAK_SIDE;
  const x = new Float32Array(count * per);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  for (let i = 0; i < count; i++) {
    const image = x.subarray(i * per, (i + 1) * per);
    const shift = (): number => (2 * rng.uniform() - 1) * jitter;
    paintDisc(image, labels[i], [shift(), shift()]);
    paintStroke(image, rng);
  }
  return makeDataset({
    name: `peak/${name}`,
    x: scale(x, rawPixels),
    labels,
    sampleShape: [PEAK_SIDE, PEAK_SIDE, 1],
    numClasses: 2,
    classNames: ['top-left', 'bottom-right'],
  });
}

/**
 * Generates the peak set. Train and test draw from separate forks of `rng`, so the test
 * images do not change when `trainSize` does.
 */
export function loadPeak(options: PeakOptions = {}): DataSplit {
  const rng = options.rng ?? new Random(0);
  const jitter = options.jitter ?? 1;
  check(
    jitter >= 0 && jitter <= 2,
    `peak: jitter ${jitter} is outside [0, 2]`,
    'larger shifts would move the disc out of its corner area',
  );
  const [trainRng, testRng] = [rng.fork('peak/train'), rng.fork('peak/test')];
  return {
    train: generate('train', options.trainSize ?? 100, trainRng, jitter, options.rawPixels),
    test: generate('test', options.testSize ?? 10, testRng, jitter, options.rawPixels),
  };
}

/**
 * The disc of `classIndex` alone at its nominal position, flat `[28, 28, 1]`: the target a
 * reconstruction of a peak image is scored against (the stroke is noise by design).
 */
export function peakTemplate(classIndex: number, rawPixels = false): Float32Array {
  check(
    classIndex === 0 || classIndex === 1,
    `peak has classes 0 and 1, not ${classIndex}`,
    'pass 0 (top-left) or 1 (bottom-right)',
  );
  const image = new Float32Array(PEAK_SIDE * PEAK_SIDE);
  paintDisc(image, classIndex);
  return scale(image, rawPixels);
}
