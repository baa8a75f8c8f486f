/**
 * The pairs DR compares: P = {(i, j) : i < j, y_i ≠ y_j} of a minibatch, as a mask (for the
 * Gram-matrix similarities of the discriminative term) or as index lists (for the per-pair
 * divergences of the generative term, where an `[n, n, units]` tensor would not fit).
 *
 * Both forms take an optional cap on the number of pairs, drawn from the run's `Random`, so
 * a capped run is reproducible.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Random } from '../../core/random.js';

/**
 * The `[n, n]` 0/1 mask of different-class pairs i < j from one-hot targets `y`:
 * M = triu(1 − y·yᵀ) (y_i·y_j = 1 exactly when the classes agree, so the diagonal is 0).
 * With `maxPairs`, keeps a seeded random `maxPairs` of them (all of them when fewer).
 *
 * triu is a product with the 0/1 upper-triangular matrix U (j ≥ i), uploaded from a cached
 * array: the same values as `tf.linalg.bandPart(·, 0, −1)`, whose index arithmetic (int32 and
 * bool kernels) cost more than the rest of the DR term on the native backend.
 */
export function differentClassMask(y: tf.Tensor2D, maxPairs?: number, rng?: Random): tf.Tensor2D {
  return tf.tidy(() => {
    const n = y.shape[0];
    const sameClass = tf.matMul(y, y, false, true);
    const mask = tf.mul(tf.sub(1, sameClass), tf.tensor2d(upperTriangle(n), [n, n])) as tf.Tensor2D;
    if (maxPairs === undefined) return mask;
    return capMask(mask, maxPairs, rng);
  });
}

/** The last few upper-triangular 0/1 matrices (row-major, U_ij = 1 for j ≥ i), by size. */
const upperTriangles = new Map<number, Float32Array>();

function upperTriangle(n: number): Float32Array {
  let values = upperTriangles.get(n);
  if (!values) {
    values = new Float32Array(n * n);
    for (let i = 0; i < n; i++) values.fill(1, i * n + i, (i + 1) * n);
    if (upperTriangles.size >= 4) upperTriangles.clear();
    upperTriangles.set(n, values);
  }
  return values;
}

/**
 * Keeps `maxPairs` of the mask's pairs, chosen uniformly with `rng`: every valid pair gets a
 * score in [1, 2), every other entry 0, and the `maxPairs` highest scores survive. When there
 * are fewer valid pairs than `maxPairs` the threshold is 0 and the mask is returned whole —
 * no data-dependent branch, so no read-back to the CPU.
 */
function capMask(mask: tf.Tensor2D, maxPairs: number, rng: Random | undefined): tf.Tensor2D {
  check(
    Number.isInteger(maxPairs) && maxPairs > 0,
    `maxPairs ${maxPairs} is not a positive integer`,
    'pass e.g. maxPairs: 1024',
  );
  check(rng, 'maxPairs needs a Random to draw the pairs', 'pass the run generator');
  const n = mask.shape[0];
  if (maxPairs >= (n * (n - 1)) / 2) return mask;
  const scores = tf.mul(mask, tf.add(1, rng.uniformTensor([n, n])));
  const threshold = tf.min(tf.topk(tf.reshape(scores, [-1]), maxPairs).values);
  return tf.mul(mask, tf.cast(tf.greaterEqual(scores, threshold), 'float32')) as tf.Tensor2D;
}

/**
 * Mean of `values` over the pairs in `mask`: Σ M∘S / |P|, and 0 when the batch has no
 * different-class pair (a one-class batch) — never 0/0.
 */
export function maskedPairMean(values: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(
    () => tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar,
  );
}

/** Index lists of pairs: pair p is (first[p], second[p]). */
export interface PairIndices {
  readonly first: Int32Array;
  readonly second: Int32Array;
}

/**
 * The different-class pairs i < j of `labels` as index lists (row-major order), or a seeded
 * random `maxPairs` of them (in drawn order) when there are more.
 */
export function differentClassPairs(
  labels: ArrayLike<number>,
  maxPairs?: number,
  rng?: Random,
): PairIndices {
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      if (labels[i] !== labels[j]) {
        first.push(i);
        second.push(j);
      }
    }
  }
  if (maxPairs === undefined || first.length <= maxPairs) {
    return { first: Int32Array.from(first), second: Int32Array.from(second) };
  }
  check(
    Number.isInteger(maxPairs) && maxPairs > 0,
    `maxPairs ${maxPairs} is not a positive integer`,
    'pass e.g. maxPairs: 1024',
  );
  check(rng, 'maxPairs needs a Random to draw the pairs', 'pass the run generator');
  const chosen = rng.permutation(first.length).subarray(0, maxPairs);
  return {
    first: Int32Array.from(chosen, (p) => first[p]),
    second: Int32Array.from(chosen, (p) => second[p]),
  };
}

/**
 * The `[P, n]` matrix whose row p is `firstWeight·e_{first[p]} + secondWeight·e_{second[p]}`,
 * so that `pairMatrix(pairs, n, α, β) · X` gives α·x_i + β·x_j for every pair at once: the
 * pair mean (½, ½) or difference (1, −1) of per-sample rows. Built on the CPU from the index
 * lists (P·n values, a few kB) and applied as a matmul rather than `gather`, so the gradient
 * exists on every backend and is itself one matmul.
 */
export function pairMatrix(
  pairs: PairIndices,
  n: number,
  firstWeight: number,
  secondWeight: number,
): tf.Tensor2D {
  const count = pairs.first.length;
  const values = new Float32Array(count * n);
  for (let p = 0; p < count; p++) {
    values[p * n + pairs.first[p]] += firstWeight;
    values[p * n + pairs.second[p]] += secondWeight;
  }
  return tf.tensor2d(values, [count, n]);
}
