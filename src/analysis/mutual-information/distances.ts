/**
 * All pairwise squared Euclidean distances of a point set, row block by row block: the one
 * expensive part of the k-nearest-neighbour estimators (./knn.ts).
 *
 * Two ways to compute a block, picked by the dimension d:
 * - d ≤ {@link DIRECT_MAX_DIMS}: Σ_c (a_c − b_c)² in float64 JavaScript, exact to float64 and
 *   faster than a backend call for so few products;
 * - wider: ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b, one matMul per block on the backend, several times
 *   faster than a JavaScript loop (2,000 × 256: 83 ms against 894 ms on wasm, bench/mi.ts). The
 *   norms ride in the matMul as in ./kde.ts, [‖a‖², 1, a] · [1, ‖b‖², −2b]ᵀ, since a broadcast
 *   pass over n² entries costs several times the product on the cpu backend; the right factor is
 *   transposed explicitly (wasm's MatMul with a transpose flag is a scalar loop,
 *   shared/notes/tfjs-facts.md). Float32 rounding of the expansion makes values within
 *   {@link roundingTolerance} of 0 meaningless; they are set to exactly 0, so that equal rows (a
 *   saturated softmax repeats one-hot vectors) are ties, as the estimators' tie rules expect.
 *
 * Scale. The points are centred and divided by one number, the root of their total variance
 * (the mean squared distance to the centroid becomes 1). The kNN estimators compare distances of
 * two variables (KSG's joint max-norm); with this scale a 784-pixel input and a 10-unit output
 * have distances of the same order, and each is invariant to a global rescaling — a layer whose
 * activations shrink under weight decay keeps its I(X;T) — while the layer's geometry stays as
 * it is (no per-unit standardisation, which would let a nearly dead unit's noise count as much
 * as a busy unit). docs/mutual-information.md compares this with a per-coordinate scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';

/** Entries of one distance block (4 Mi floats = 16 MiB): whole matrices up to n = 2048. */
const BLOCK_ENTRIES = 1 << 22;

/** Widest point set whose distances are computed directly in float64 JavaScript. */
export const DIRECT_MAX_DIMS = 16;

/**
 * Relative float32 rounding of the expansion: its d + 2 products sum to ‖a − b‖² with an error
 * of at most (d + 2)·2^-24 · Σ|terms| ≤ (d + 2)·2^-23 · (‖a‖² + ‖b‖²) (the standard dot-product
 * bound). At d = 784, 0.1 % of ‖a‖² + ‖b‖² — a hundred times below a typical nearest-neighbour
 * distance of centred images or hidden layers.
 */
export function roundingTolerance(d: number): number {
  return (d + 2) * 2 ** -23;
}

/** Squared distances between the n rows of an `[n, d]` point set, computed in row blocks. */
export class SquaredDistances {
  /** Number of points. */
  readonly n: number;
  /** Dimension of the points. */
  readonly d: number;
  /** Rows per block: whole matrix when n² fits {@link BLOCK_ENTRIES}. */
  readonly blockRows: number;
  /** Direct path: the centred, scaled points, row-major n × d in float64. */
  private readonly points?: Float64Array;
  /** Expansion path: rows L_i = [‖a_i‖², 1, a_i] and columns R_j = [1, ‖a_j‖², −2a_j]ᵀ. */
  private readonly factors?: { left: tf.Tensor2D; right: tf.Tensor2D; norms: Float32Array };
  private cached?: { start: number; values: Float32Array };

  /** @param points `[n, d]`; not kept (the caller still owns it). */
  constructor(points: tf.Tensor2D) {
    const [n, d] = points.shape;
    check(n >= 2 && d >= 1, `${n} points of dimension ${d}`, 'pass at least 2 samples');
    this.n = n;
    this.d = d;
    this.blockRows = Math.max(1, Math.min(n, Math.floor(BLOCK_ENTRIES / n)));
    if (d <= DIRECT_MAX_DIMS)
      this.points = scaledPoints(Float64Array.from(points.dataSync()), n, d);
    else this.factors = expansionFactors(points);
  }

  /**
   * Rows [start, start + size) of the distance matrix, row-major (size × n). The last block is
   * cached, so a second estimator on the same points and block (I(X;T) of every layer against the
   * same X) pays once. The diagonal is not guaranteed: callers skip j = i.
   */
  block(start: number, size: number): Float32Array {
    if (this.cached?.start === start && this.cached.values.length === size * this.n)
      return this.cached.values;
    const values = this.points ? this.directBlock(start, size) : this.expansionBlock(start, size);
    this.cached = { start, values };
    return values;
  }

  private directBlock(start: number, size: number): Float32Array {
    const { n, d } = this;
    const points = this.points as Float64Array;
    const values = new Float32Array(size * n);
    for (let r = 0; r < size; r++) {
      const a = (start + r) * d;
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let c = 0, b = j * d; c < d; c++) sum += (points[a + c] - points[b + c]) ** 2;
        values[r * n + j] = sum;
      }
    }
    return values;
  }

  private expansionBlock(start: number, size: number): Float32Array {
    const { left, right, norms } = this.factors as NonNullable<SquaredDistances['factors']>;
    const result = tf.tidy(() =>
      tf.matMul(size === this.n ? left : tf.slice(left, [start, 0], [size, -1]), right),
    );
    const values = result.dataSync() as Float32Array;
    result.dispose();
    const tolerance = roundingTolerance(this.d);
    const n = this.n;
    for (let r = 0; r < size; r++) {
      const normI = norms[start + r];
      for (let j = 0, at = r * n; j < n; j++, at++)
        if (values[at] <= tolerance * (normI + norms[j])) values[at] = 0;
    }
    return values;
  }

  /** Frees the tensors. */
  dispose(): void {
    if (this.factors) tf.dispose([this.factors.left, this.factors.right]);
    this.cached = undefined;
  }
}

/** The points centred and divided by √(total variance), in place (all-equal points stay 0). */
function scaledPoints(values: Float64Array, n: number, d: number): Float64Array {
  for (let c = 0; c < d; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += values[i * d + c];
    mean /= n;
    for (let i = 0; i < n; i++) values[i * d + c] -= mean;
  }
  let total = 0;
  for (const v of values) total += v * v;
  const scale = total > 0 ? Math.sqrt(n / total) : 1;
  for (let i = 0; i < values.length; i++) values[i] *= scale;
  return values;
}

/** The matMul factors of the centred, scaled points (see the file comment). */
function expansionFactors(points: tf.Tensor2D): NonNullable<SquaredDistances['factors']> {
  const [left, right] = tf.tidy(() => {
    const centred = tf.sub(points, tf.mean(points, 0, true));
    const total = tf.div(tf.sum(tf.square(centred)), points.shape[0]);
    // All points equal: scale 1, and every distance is 0.
    const scale = tf.where(tf.greater(total, 0), tf.rsqrt(total), tf.onesLike(total));
    const scaled = tf.mul(centred, scale);
    const norms = tf.sum(tf.square(scaled), 1, true);
    const ones = tf.onesLike(norms);
    return [
      tf.concat([norms, ones, scaled], 1) as tf.Tensor2D,
      tf.transpose(tf.concat([ones, norms, tf.mul(scaled, -2)], 1)) as tf.Tensor2D,
    ];
  });
  const normColumn = tf.slice(left, [0, 0], [-1, 1]);
  const norms = normColumn.dataSync() as Float32Array;
  normColumn.dispose();
  return { left, right, norms };
}

/** Runs `f` on the squared distances of `points` and disposes them afterwards. */
export function withDistances<R>(points: tf.Tensor2D, f: (distances: SquaredDistances) => R): R {
  const distances = new SquaredDistances(points);
  try {
    return f(distances);
  } finally {
    distances.dispose();
  }
}
