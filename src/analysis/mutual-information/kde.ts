/**
 * The pairwise-distance (kernel) estimator of Kolchinsky & Tracey 2017 ("Estimating mixture
 * entropy with pairwise distances", Entropy 19:361), as used by Saxe et al. 2018 (ICLR, "On the
 * information bottleneck theory of deep learning").
 *
 * The layer is made stochastic, T = h(X) + ε with ε ~ N(0, σ² I_d), so that with X uniform over
 * the n samples of the batch, T is a mixture of n Gaussians N(h_i, σ² I). Its entropy is bounded
 * with a pairwise distance D between the components:
 *
 *   H(T) ≈ H(T|X) − (1/n) Σ_i log (1/n) Σ_j exp(−D(p_i ‖ p_j)),   H(T|X) = (d/2) log(2πeσ²),
 *
 * an upper bound with the KL divergence D = ‖h_i − h_j‖²/(2σ²) and a lower bound with the
 * Bhattacharyya distance D = ‖h_i − h_j‖²/(8σ²). H(T|X) cancels in I(X;T) = H(T) − H(T|X),
 * which is thus bounded by the pairwise term alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';

/** Which Kolchinsky–Tracey bound: KL (upper, Saxe et al.'s choice) or Bhattacharyya (lower). */
export type KernelBound = 'upper' | 'lower';

/** Rows of the n × n kernel matrix computed at once (bounds memory to BLOCK_ROWS · n floats). */
const BLOCK_ROWS = 1024;

/**
 * Factors of the kernel exponents: rows L_i = [‖h_i‖², 1, h_i] and R_j = −c·[1, ‖h_j‖², −2h_j]
 * with c = 1/(2s), so that L_i · R_j = −‖h_i − h_j‖²/(2s) — the whole exponent matrix is one
 * matMul, with no broadcast pass over n² entries. `h` is centred first: distances do not change
 * under a shift, and small norms keep ‖a‖² + ‖b‖² − 2a·b accurate in float32.
 */
function exponentFactors(h: tf.Tensor2D, s: number): { left: tf.Tensor2D; right: tf.Tensor2D } {
  const centred = tf.sub(h, tf.mean(h, 0, true));
  const norms = tf.sum(tf.square(centred), 1, true);
  const ones = tf.onesLike(norms);
  const left = tf.concat([norms, ones, centred], 1) as tf.Tensor2D;
  const right = tf.mul(
    tf.concat([ones, norms, tf.mul(centred, -2)], 1),
    -1 / (2 * s),
  ) as tf.Tensor2D;
  return { left, right };
}

/**
 * Σ_i log Σ_j exp(−‖h_i − h_j‖²/(2s)) over rows [start, start + size). Every row's sum holds its
 * own term exp(0) = 1, and every other term is ≤ 1, so the sum lies in [1, n]: a plain exp-sum
 * neither overflows nor underflows, and the max-shift of a log-sum-exp is not needed. The self
 * term, which float32 rounding of the expansion leaves slightly off 1, is replaced by exactly 1.
 */
function blockLogKernelSum(
  left: tf.Tensor2D,
  right: tf.Tensor2D,
  start: number,
  size: number,
): tf.Tensor {
  const n = right.shape[0];
  const kernel = tf.exp(tf.matMul(tf.slice(left, [start, 0], [size, -1]), right, false, true));
  // Entry (i, start + i) of the flattened block is at start + i·(n + 1).
  const diagonal = tf.range(start, start + size * (n + 1), n + 1, 'int32');
  const selfTerms = tf.gather(tf.reshape(kernel, [-1]), diagonal);
  return tf.sum(tf.log(tf.add(tf.sub(tf.sum(kernel, 1), selfTerms), 1)));
}

/**
 * The pairwise term −(1/n) Σ_i log (1/n) Σ_j exp(−‖h_i − h_j‖²/(2s)), in nats, of an `[n, d]`
 * tensor: Kolchinsky & Tracey's bound on I(X;T) for kernel variance s (s = σ² for the KL upper
 * bound, 4σ² for the Bhattacharyya lower bound), computed block of rows by block of rows. Lies in
 * [0, log n]: log n when all samples are far apart (≫ √s), 0 when they coincide.
 */
export function pairwiseKernelTerm(h: tf.Tensor2D, s: number): number {
  const n = h.shape[0];
  const total = tf.tidy(() => {
    const { left, right } = exponentFactors(h, s);
    const blockSums: tf.Tensor[] = [];
    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const size = Math.min(BLOCK_ROWS, n - start);
      blockSums.push(tf.tidy(() => blockLogKernelSum(left, right, start, size)));
    }
    return tf.addN(blockSums);
  });
  const sumLogKernel = total.dataSync()[0];
  total.dispose();
  return Math.log(n) - sumLogKernel / n;
}

/** The row indices of each class present in `labels`, with the class frequencies. */
function classRows(labels: Int32Array): { rows: Int32Array; weight: number }[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const rows = byClass.get(label);
    if (rows) rows.push(i);
    else byClass.set(label, [i]);
  });
  return [...byClass.values()].map((rows) => ({
    rows: Int32Array.from(rows),
    weight: rows.length / labels.length,
  }));
}

/**
 * Kernel estimates, in nats, of I(X;T) (a bound, see {@link KernelBound}) and of
 * I(T;Y) = H(T) − Σ_y p(y) H(T|Y=y), the same bound applied to all samples and within each class
 * (Saxe et al. 2018). A difference of two bounds, I(T;Y) is an estimate, not a bound.
 */
export function kernelMutualInformation(
  h: tf.Tensor2D,
  labels: Int32Array,
  noiseVariance: number,
  bound: KernelBound,
): { ixt: number; ity: number } {
  check(
    Number.isFinite(noiseVariance) && noiseVariance > 0,
    `noiseVariance is ${noiseVariance}`,
    'pass the variance σ² > 0 of the Gaussian noise added to the layer (1e-3 in Saxe et al.’s code)',
  );
  const s = bound === 'upper' ? noiseVariance : 4 * noiseVariance;
  const ixt = pairwiseKernelTerm(h, s);
  let conditional = 0;
  for (const { rows, weight } of classRows(labels)) {
    if (weight === 1) return { ixt, ity: 0 }; // one class: H(T|Y) = H(T)
    const members = tf.gather(h, rows) as tf.Tensor2D;
    conditional += weight * pairwiseKernelTerm(members, s);
    members.dispose();
  }
  return { ixt, ity: ixt - conditional };
}
