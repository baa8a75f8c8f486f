/**
 * Pure transforms of image data sets (channels-last Float32), used to build the transfer
 * variants of the racecar paper (rotated digits, thicker strokes) and to normalise inputs.
 * Each returns a new data set and leaves its input untouched.
 */
import { check } from '../core/errors.js';
import type { DataSplit, Dataset } from './dataset.js';

/** `[H, W, C]` of an image data set, checked. */
function imageShape(data: Dataset): [number, number, number] {
  check(
    data.sampleShape.length === 3,
    `${data.name} has sample shape [${data.sampleShape}], not an image [H, W, C]`,
    'image transforms need channels-last image data',
  );
  return data.sampleShape as unknown as [number, number, number];
}

/**
 * Applies `mapPlane` to every channel plane of every image: the one loop all spatial
 * transforms share. `mapPlane(src, dst)` gets one H×W plane and writes the output plane.
 */
function mapPlanes(
  data: Dataset,
  suffix: string,
  mapPlane: (src: Float32Array, dst: Float32Array) => void,
): Dataset {
  const [h, w, channels] = imageShape(data);
  const plane = h * w;
  const src = new Float32Array(plane);
  const dst = new Float32Array(plane);
  const x = new Float32Array(data.x.length);
  for (let base = 0; base < x.length; base += plane * channels) {
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane; p++) src[p] = data.x[base + p * channels + c];
      mapPlane(src, dst);
      for (let p = 0; p < plane; p++) x[base + p * channels + c] = dst[p];
    }
  }
  return { ...data, name: `${data.name}/${suffix}`, x };
}

/**
 * Rotates every image by `degrees` counter-clockwise (as displayed, row 0 on top) about the
 * image centre, with bilinear interpolation and zero fill outside. The sampling table is
 * computed once and shared by all images.
 */
export function rotate(data: Dataset, degrees: number): Dataset {
  check(
    Number.isFinite(degrees),
    `rotation angle ${degrees} is not a number`,
    'pass degrees, e.g. 45',
  );
  const [h, w] = imageShape(data);
  const theta = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const [cr, cc] = [(h - 1) / 2, (w - 1) / 2];
  // For each output pixel: 4 source indices and weights (index −1 = outside = 0).
  const index = new Int32Array(4 * h * w).fill(-1);
  const weight = new Float32Array(4 * h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const [dr, dc] = [r - cr, c - cc];
      // Inverse map: the source point that lands on (r, c); snap float noise (e.g. cos 90°).
      const sr = Math.round((cr + sin * dc + cos * dr) * 1e9) / 1e9;
      const sc = Math.round((cc + cos * dc - sin * dr) * 1e9) / 1e9;
      const [r0, c0] = [Math.floor(sr), Math.floor(sc)];
      const [fr, fc] = [sr - r0, sc - c0];
      const corners = [
        [r0, c0, (1 - fr) * (1 - fc)],
        [r0, c0 + 1, (1 - fr) * fc],
        [r0 + 1, c0, fr * (1 - fc)],
        [r0 + 1, c0 + 1, fr * fc],
      ];
      corners.forEach(([y, x, wt], k) => {
        if (y < 0 || y >= h || x < 0 || x >= w || wt === 0) return;
        index[4 * (r * w + c) + k] = y * w + x;
        weight[4 * (r * w + c) + k] = wt;
      });
    }
  }
  return mapPlanes(data, `rotate${degrees}`, (src, dst) => {
    for (let p = 0; p < dst.length; p++) {
      let sum = 0;
      for (let k = 4 * p; k < 4 * p + 4; k++) if (index[k] >= 0) sum += weight[k] * src[index[k]];
      dst[p] = sum;
    }
  });
}

/**
 * Thickens strokes by grayscale dilation: every pixel becomes the maximum over its
 * neighbourhood — a disc of `radius` px (default) or a (2·radius+1)² square. Dilation
 * rather than blurring keeps the stroke intensity, so only the thickness changes.
 */
export function thicken(data: Dataset, radius: number, shape: 'disc' | 'square' = 'disc'): Dataset {
  check(
    radius >= 0 && Number.isFinite(radius),
    `thicken radius ${radius} is negative or not a number`,
    'pass a radius ≥ 0 in pixels, e.g. 1',
  );
  const [h, w] = imageShape(data);
  const reach = Math.floor(radius);
  const offsets: [number, number][] = [];
  for (let dr = -reach; dr <= reach; dr++) {
    for (let dc = -reach; dc <= reach; dc++)
      if (shape === 'square' || dr * dr + dc * dc <= radius * radius) offsets.push([dr, dc]);
  }
  return mapPlanes(data, `thicken${radius}`, (src, dst) => {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        let best = -Infinity;
        for (const [dr, dc] of offsets) {
          const [y, x] = [r + dr, c + dc];
          if (y >= 0 && y < h && x >= 0 && x < w && src[y * w + x] > best) best = src[y * w + x];
        }
        dst[r * w + c] = best;
      }
    }
  });
}

/** Per-channel mean and standard deviation over all samples and pixels. */
export function channelStats(data: Dataset): { mean: Float32Array; std: Float32Array } {
  const channels = data.sampleShape[data.sampleShape.length - 1];
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < data.x.length; i++) {
    sum[i % channels] += data.x[i];
    sumSq[i % channels] += data.x[i] * data.x[i];
  }
  const count = data.x.length / channels;
  const mean = Float32Array.from(sum, (s) => s / count);
  const std = Float32Array.from(sumSq, (s, c) =>
    Math.sqrt(Math.max(0, s / count - mean[c] * mean[c])),
  );
  return { mean, std };
}

/**
 * Standardises both halves of a split per channel with the *training* statistics (the test
 * set must not leak into preprocessing). Channels with zero spread are only centred.
 */
export function standardize(split: DataSplit): DataSplit {
  const { mean, std } = channelStats(split.train);
  const apply = (data: Dataset): Dataset => {
    const x = Float32Array.from(data.x, (v, i) => {
      const c = i % mean.length;
      return (v - mean[c]) / (std[c] > 0 ? std[c] : 1);
    });
    return { ...data, name: `${data.name}/std`, x };
  };
  return { train: apply(split.train), test: apply(split.test) };
}

/** Applies a per-data-set transform to both halves of a split. */
export function mapSplit(split: DataSplit, transform: (data: Dataset) => Dataset): DataSplit {
  return { train: transform(split.train), test: transform(split.test) };
}
