/**
 * The binning estimator of Shwartz-Ziv & Tishby 2017 ("Opening the black box of deep neural
 * networks via information"): every unit is discretised into N bins, a sample's pattern of bin
 * indices is its discrete T, and the mutual informations are plug-in entropies of patterns.
 *
 * With a deterministic network and X uniform over the n distinct samples of the batch,
 * H(T|X) = 0, so I(X;T) = H(T) and I(T;Y) = H(T) − H(T|Y). Both saturate: I(X;T) ≤ log n, and
 * once every sample has its own pattern, I(T;Y) = H(Y) whatever the layer computes (Saxe et al.
 * 2018, ICLR, "On the information bottleneck theory of deep learning", show how strongly the
 * picture depends on the binning).
 */
import { check } from '../../core/errors.js';
import { discreteMutualInformation, entropyOfSymbols } from './discrete.js';
import type { Matrix } from './input.js';

/**
 * How a layer's values are mapped to bins:
 * - `[lo, hi]`: N equal-width bins over a fixed range (values outside are clamped to the end
 *   bins) — the activation's own range for bounded activations (tanh `[-1, 1]`, sigmoid `[0, 1]`),
 *   as Shwartz-Ziv & Tishby do;
 * - `'batch'`: N equal-width bins over the layer's [min, max] on this batch, one range shared by
 *   all units of the layer (the default for unbounded activations such as ReLU or linear);
 * - `'quantile'`: equal-mass bins per unit (each unit's edges at its own batch quantiles).
 */
export type BinRange = 'batch' | 'quantile' | readonly [number, number];

/** Fills `out` with equal-width bin indices of `values` over [lo, hi], clamped to [0, bins). */
function equalWidthBins(
  values: Float32Array,
  bins: number,
  lo: number,
  hi: number,
  out: Uint16Array,
): void {
  const scale = hi > lo ? bins / (hi - lo) : 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.min(bins - 1, Math.max(0, Math.floor((values[i] - lo) * scale)));
  }
}

/**
 * Fills `out` with equal-mass bin indices, each unit binned by its own ranks over the batch: the
 * value of rank r goes to bin ⌊r·N/n⌋, and equal values all take the bin of the first of them, so
 * a ReLU's zeros stay one bin and a binary unit keeps its two values apart.
 */
function quantileBins({ values, n, d }: Matrix, bins: number, out: Uint16Array): void {
  const column = new Float32Array(n);
  const order = new Int32Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) {
      column[i] = values[i * d + j];
      order[i] = i;
    }
    order.sort((a, b) => column[a] - column[b]);
    let bin = 0;
    for (let r = 0; r < n; r++) {
      if (r === 0 || column[order[r]] !== column[order[r - 1]]) bin = Math.floor((r * bins) / n);
      out[order[r] * d + j] = bin;
    }
  }
}

/** Smallest and largest value of a layer over the batch. */
function valueRange(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  return [lo, hi];
}

/** The bin index of every value of an n × d matrix, row-major. */
export function binIndices(matrix: Matrix, bins: number, range: BinRange): Uint16Array {
  check(
    Number.isInteger(bins) && bins >= 2 && bins <= 65535,
    `bins is ${bins}`,
    'use an integer number of bins in [2, 65535] (30 in Shwartz-Ziv & Tishby)',
  );
  const [lo, hi] = valueRange(matrix.values);
  check(
    Number.isFinite(lo) && Number.isFinite(hi),
    'the activations contain NaN or ±Infinity',
    'the network has diverged; estimate MI of a finite model',
  );
  const out = new Uint16Array(matrix.values.length);
  if (range === 'quantile') quantileBins(matrix, bins, out);
  else if (range === 'batch') equalWidthBins(matrix.values, bins, lo, hi, out);
  else {
    check(
      range[0] < range[1],
      `the bin range [${range[0]}, ${range[1]}] is empty`,
      'pass [lo, hi] with lo < hi',
    );
    equalWidthBins(matrix.values, bins, range[0], range[1], out);
  }
  return out;
}

/** Whether rows `a` and `b` of a row-major matrix with `d` columns are equal. */
function rowsEqual(indices: Uint16Array, d: number, a: number, b: number): boolean {
  for (let k = 0; k < d; k++) if (indices[a * d + k] !== indices[b * d + k]) return false;
  return true;
}

/** FNV-1a hash of row `row` of the bin indices. */
function rowHash(indices: Uint16Array, d: number, row: number): number {
  let hash = 0x811c9dc5;
  for (let k = row * d; k < (row + 1) * d; k++) hash = Math.imul(hash ^ indices[k], 0x01000193);
  return hash;
}

/**
 * A pattern id per sample: samples with the same bin pattern get the same id. Rows are hashed
 * (FNV-1a over the bin indices, O(n·d)) and a hash hit is confirmed by comparing the rows, so a
 * hash collision never merges two different patterns.
 */
export function patternIds(indices: Uint16Array, n: number, d: number): Int32Array {
  const byHash = new Map<number, number[]>();
  const firstRow: number[] = [];
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const hash = rowHash(indices, d, i);
    const candidates = byHash.get(hash) ?? [];
    let id = candidates.find((pattern) => rowsEqual(indices, d, firstRow[pattern], i));
    if (id === undefined) {
      id = firstRow.push(i) - 1;
      candidates.push(id);
      byHash.set(hash, candidates);
    }
    ids[i] = id;
  }
  return ids;
}

/** Binning estimates, in nats, of I(X;T) = H(T) and I(T;Y) = H(T) − H(T|Y). */
export function binningMutualInformation(
  matrix: Matrix,
  labels: Int32Array,
  bins: number,
  range: BinRange,
): { ixt: number; ity: number } {
  const patterns = patternIds(binIndices(matrix, bins, range), matrix.n, matrix.d);
  return { ixt: entropyOfSymbols(patterns), ity: discreteMutualInformation(patterns, labels) };
}
