/**
 * The principal-component scores of a layer: the reduced projection that binning reads on a wide
 * layer. Binning all 256 units of a layer gives every sample its own pattern (I(X;T) = log n,
 * I(T;Y) = H(Y) whatever the layer does); binning its top k principal components (k = 2–3) keeps
 * the number of cells B^k below n, so the histogram has something to say.
 *
 * Why PCA and not a random projection: a random k-dimensional view of a 256-unit layer mostly
 * sees noise directions, while the top components carry most of the variance — and in a trained
 * net most of the class structure. The scores are computed by a randomized range finder with
 * power iterations (Halko, Martinsson & Tropp 2011, "Finding structure with randomness",
 * SIAM Review 53:217, Algorithms 4.3–4.4 and 5.1): the start matrix is drawn from a
 * {@link Random} seeded by the caller, so the same activations always give the same scores, and
 * the result is exact when the layer's rank is at most k + {@link OVERSAMPLING}. Only matMuls of
 * n × d by d × l run on the backend; the l × l eigenproblem runs in ml-matrix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { check } from '../../core/errors.js';
import { Random } from '../../core/random.js';

/** Extra directions of the range finder (Halko et al. recommend 5–10). */
const OVERSAMPLING = 10;
/** Power iterations: q = 6 puts the top scores within 1e-2 of exact on a flat tail (the test); q = 3 misses by 2.4e-2. */
const POWER_ITERATIONS = 6;

/**
 * Below this fraction of its length, what is left of a column after removing the earlier ones is
 * float32 rounding, not a direction of the data: normalising it would make a copy of an earlier
 * column (the matMuls run in float32, ~1e-7 relative), so it is set to 0 instead.
 */
const RANK_TOLERANCE = 1e-4;

/** Squared length of column c of a row-major n × l matrix. */
function columnNorm2(values: Float64Array, n: number, l: number, c: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i * l + c] ** 2;
  return sum;
}

/**
 * Orthonormalises the columns of a row-major n × l matrix in place (modified Gram–Schmidt, twice);
 * columns in the span of earlier ones (rank < l, to {@link RANK_TOLERANCE}) become 0.
 */
function orthonormalizeColumns(values: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      const before = columnNorm2(values, n, l, c);
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += values[i * l + c] * values[i * l + p];
        for (let i = 0; i < n; i++) values[i * l + c] -= dot * values[i * l + p];
      }
      const after = columnNorm2(values, n, l, c);
      const scale = after > RANK_TOLERANCE ** 2 * before ? 1 / Math.sqrt(after) : 0;
      for (let i = 0; i < n; i++) values[i * l + c] *= scale;
    }
  }
}

/** An orthonormal basis Q (n × l) of the range of the centred points (Halko et al. Alg. 4.4). */
function rangeBasis(centred: tf.Tensor2D, transposed: tf.Tensor2D, l: number, random: Random) {
  const [n, d] = centred.shape;
  const start = tf.tensor2d(
    Float32Array.from({ length: d * l }, () => random.normal()),
    [d, l],
  );
  let y = tf.matMul(centred, start);
  start.dispose();
  for (let q = 0; ; q++) {
    const basis = Float64Array.from(y.dataSync());
    y.dispose();
    orthonormalizeColumns(basis, n, l);
    if (q === POWER_ITERATIONS) return basis;
    y = tf.tidy(() =>
      tf.matMul(centred, tf.matMul(transposed, tf.tensor2d(Float32Array.from(basis), [n, l]))),
    );
  }
}

/**
 * The scores of the top `dims` principal components of an `[n, d]` point set, row-major n × dims
 * (column c = the projection of the centred points on the c-th component, variance descending).
 * Each column's largest-magnitude entry is positive, so the scores are reproducible. Components
 * beyond the rank of the points are 0. `seed` seeds the range finder's start matrix.
 */
export function principalScores(points: tf.Tensor2D, dims: number, seed = 0): Float32Array {
  const [n, d] = points.shape;
  check(
    Number.isInteger(dims) && dims >= 1,
    `${dims} principal components`,
    'project on an integer number ≥ 1 of components (2 or 3 for binning)',
  );
  const l = Math.min(dims + OVERSAMPLING, d, n);
  const [centred, transposed] = tf.tidy(() => {
    const c = tf.sub(points, tf.mean(points, 0, true)) as tf.Tensor2D;
    return [c, tf.transpose(c) as tf.Tensor2D];
  });
  try {
    const q = rangeBasis(centred, transposed, l, new Random(`pca/${seed}`));
    // B = Qᵀ A (l × d); with B = U Σ Wᵀ the scores A W = Q U Σ. Bᵀ = Aᵀ Q is one matMul.
    const bt = tf.tidy(() => tf.matMul(transposed, tf.tensor2d(Float32Array.from(q), [n, l])));
    const b = new Matrix(d, l);
    const btValues = bt.dataSync();
    bt.dispose();
    for (let i = 0; i < d; i++) for (let c = 0; c < l; c++) b.set(i, c, btValues[i * l + c]);
    const eigen = new EigenvalueDecomposition(b.transpose().mmul(b), { assumeSymmetric: true });
    const lambdas = eigen.realEigenvalues;
    const order = lambdas.map((_, k) => k).sort((a, c) => lambdas[c] - lambdas[a]);
    const u = eigen.eigenvectorMatrix;
    const scores = new Float32Array(n * dims);
    for (let c = 0; c < Math.min(dims, l); c++) {
      const k = order[c];
      const sigma = Math.sqrt(Math.max(0, lambdas[k]));
      const column = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let p = 0; p < l; p++) s += q[i * l + p] * u.get(p, k);
        column[i] = s * sigma;
      }
      let largest = 0;
      for (let i = 0; i < n; i++) if (Math.abs(column[i]) > Math.abs(largest)) largest = column[i];
      const sign = largest < 0 ? -1 : 1;
      for (let i = 0; i < n; i++) scores[i * dims + c] = sign * column[i];
    }
    return scores;
  } finally {
    tf.dispose([centred, transposed]);
  }
}
