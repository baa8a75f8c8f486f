/**
 * All pairwise squared Euclidean distances of a point set, row block by row block: the one
 * expensive part of the k-nearest-neighbour estimators (./knn.ts).
 *
 * ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b, so a block of rows is one matMul on the backend, which on wasm
 * is several times faster than a brute-force loop in JavaScript (docs/mutual-information.md,
 * "Cost"). The product is taken with an explicitly transposed copy of the points: wasm's MatMul
 * with a transpose flag is a scalar loop (~15× slower, shared/notes/tfjs-facts.md). The points
 * are centred first, which keeps the expansion accurate in float32.
 *
 * Scale. The points are divided by one number, the root mean variance of their coordinates, so
 * that coordinates have mean variance 1. The kNN estimators compare distances of two variables
 * (KSG's joint max-norm), and this makes them invariant to a global rescaling of either — a
 * layer whose activations shrink under weight decay keeps its I(X;T) — while keeping the
 * geometry of the layer (no per-unit standardisation, which would let a nearly dead unit's
 * noise count as much as a busy unit).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';

/** Entries of one distance block (4 Mi floats = 16 MiB): whole matrices up to n = 2048. */
const BLOCK_ENTRIES = 1 << 22;

/** Squared distances between the n rows of an `[n, d]` point set, computed in row blocks. */
export class SquaredDistances {
  /** Number of points. */
  readonly n: number;
  /** Rows per block: whole matrix when n² fits {@link BLOCK_ENTRIES}. */
  readonly blockRows: number;
  /** Rows L_i = [‖a_i‖², 1, a_i] of the scaled points. */
  private readonly left: tf.Tensor2D;
  /** Columns R_j = [1, ‖a_j‖², −2a_j]ᵀ, so that L_i · R_j = ‖a_i − a_j‖². */
  private readonly right: tf.Tensor2D;
  private cached?: { start: number; values: Float32Array };

  /** @param points `[n, d]`; not kept (the caller still owns it). */
  constructor(points: tf.Tensor2D) {
    const [n, d] = points.shape;
    check(n >= 2 && d >= 1, `${n} points of dimension ${d}`, 'pass at least 2 samples');
    this.n = n;
    this.blockRows = Math.max(1, Math.min(n, Math.floor(BLOCK_ENTRIES / n)));
    // The norms ride in the matMul (as in ./kde.ts): no broadcast pass over n² entries, which
    // on the cpu backend costs several times the product itself.
    [this.left, this.right] = tf.tidy(() => {
      const centred = tf.sub(points, tf.mean(points, 0, true));
      const meanVariance = tf.mean(tf.square(centred));
      // A constant variable (all points equal) keeps scale 1: all its distances are 0.
      const scale = tf.where(
        tf.greater(meanVariance, 0),
        tf.rsqrt(meanVariance),
        tf.onesLike(meanVariance),
      );
      const scaled = tf.mul(centred, scale);
      const norms = tf.sum(tf.square(scaled), 1, true);
      const ones = tf.onesLike(norms);
      return [
        tf.concat([norms, ones, scaled], 1) as tf.Tensor2D,
        tf.transpose(tf.concat([ones, norms, tf.mul(scaled, -2)], 1)) as tf.Tensor2D,
      ] as const;
    });
  }

  /**
   * Rows [start, start + size) of the distance matrix, row-major (size × n), clamped at 0
   * (float32 rounding of the expansion can dip below). The last block is cached, so a second
   * estimator on the same points and block (I(X;T) of every layer against the same X) pays once.
   * The diagonal is not exact: callers skip j = i.
   */
  block(start: number, size: number): Float32Array {
    if (this.cached?.start === start && this.cached.values.length === size * this.n)
      return this.cached.values;
    const result = tf.tidy(() => {
      const rows = size === this.n ? this.left : tf.slice(this.left, [start, 0], [size, -1]);
      return tf.relu(tf.matMul(rows, this.right));
    });
    const values = result.dataSync() as Float32Array;
    result.dispose();
    this.cached = { start, values };
    return values;
  }

  /** Frees the tensors. */
  dispose(): void {
    tf.dispose([this.left, this.right]);
    this.cached = undefined;
  }
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
