/**
 * Divergences between the mean-field posteriors of two inputs, and the generative DR penalty
 * built from them (reglab issue 6; a reconstruction of Kertesz-Farkas et al., arXiv 1911.02048,
 * whose formulas are not public as text).
 *
 * With a = Wᵀv + c and p = σ(a), q(h|v) = Π_k p_k^{h_k} (1 − p_k)^{1−h_k} factorises over the
 * hidden units, so every divergence between q(·|v_i) and q(·|v_j) has a closed form:
 *
 *   Bhattacharyya coefficient  BC   = Π_k (√(p_ik p_jk) + √((1−p_ik)(1−p_jk)))   ∈ (0, 1]
 *   Bhattacharyya distance     D_B  = −log BC
 *   Hellinger distance         H    = √(1 − BC)                                   ∈ [0, 1)
 *   symmetric KL               SKL  = KL(q_i‖q_j) + KL(q_j‖q_i) = Σ_k (p_ik − p_jk)(a_ik − a_jk)
 *
 * BC is computed in log space. With σ(a)/σ(−a) = e^a and log σ(−a) = −softplus(a), each factor
 * is √(σ(−a_ik)σ(−a_jk))·(1 + e^{(a_ik + a_jk)/2}), so
 *
 *   log BC_ij = Σ_k softplus(½(a_ik + a_jk)) − ½(s_i + s_j),     s_i = Σ_k softplus(a_ik)
 *
 * Exact, free of underflow for hundreds of saturated units, and cheap: the only `[P, units]`
 * work is one softplus of the pair-mean pre-activation; s is per sample (`[n]`). Pair means and
 * differences of per-sample rows are `[P, n]` pair matrices times `[n, units]` (see
 * `pairMatrix`), so the batch's pairs cost two small matmuls, not 2P row copies.
 *
 * The penalty DR minimises (the "sign that increases between-class divergence"):
 *
 *   bhattacharyya (default)   BC        bounded in (0, 1]: the push fades as pairs separate, so
 *                                       it cannot dominate the likelihood term
 *   bhattacharyya-distance    −D_B      = log BC, unbounded below
 *   hellinger                 −H        bounded; (1 − BC would give the same gradient as BC,
 *                                       so Hellinger is the square root, which weights pairs
 *                                       that are still close more strongly)
 *   symmetric-kl              −SKL      unbounded below: can drive units to saturation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../../../core/errors.js';
import { pairMatrix, type PairIndices } from '../pairs.js';

/** The divergences generative DR can use. */
export const DIVERGENCES = [
  'bhattacharyya',
  'bhattacharyya-distance',
  'hellinger',
  'symmetric-kl',
] as const;
export type DivergenceKind = (typeof DIVERGENCES)[number];

/** Keeps √(1 − BC) differentiable at identical posteriors (BC = 1). */
const EPSILON = 1e-12;

/**
 * log BC per pair from the `[n, units]` pre-activations `a` of a batch (see the file comment):
 * Σ_k softplus(½(a_i + a_j))_k − ½(s_i + s_j).
 */
function logBhattacharyyaCoefficientOfPairs(a: tf.Tensor2D, pairs: PairIndices): tf.Tensor1D {
  return tf.tidy(() => {
    const pairMean = pairMatrix(pairs, a.shape[0], 0.5, 0.5);
    const perSample = tf.sum(tf.softplus(a), 1, true); // s, [n, 1]
    const meanPreActivation = tf.matMul(pairMean, a);
    return tf.sub(
      tf.sum(tf.softplus(meanPreActivation), 1),
      tf.reshape(tf.matMul(pairMean, perSample), [-1]),
    ) as tf.Tensor1D;
  });
}

/** SKL per pair from the batch's pre-activations: Σ_k (p_ik − p_jk)(a_ik − a_jk). */
function symmetricKlOfPairs(a: tf.Tensor2D, pairs: PairIndices): tf.Tensor1D {
  return tf.tidy(() => {
    const pairDifference = pairMatrix(pairs, a.shape[0], 1, -1);
    return tf.sum(
      tf.mul(tf.matMul(pairDifference, tf.sigmoid(a)), tf.matMul(pairDifference, a)),
      1,
    ) as tf.Tensor1D;
  });
}

/**
 * The value of `kind` for every pair (i, j) of `pairs` over the rows of the `[n, units]`
 * pre-activations `a`, as the name says: BC for `bhattacharyya` (a coefficient), D_B, H and
 * SKL for the others (distances).
 */
export function divergenceOfPairs(
  kind: DivergenceKind,
  a: tf.Tensor2D,
  pairs: PairIndices,
): tf.Tensor1D {
  return tf.tidy(() => {
    switch (kind) {
      case 'bhattacharyya':
        return tf.exp(logBhattacharyyaCoefficientOfPairs(a, pairs));
      case 'bhattacharyya-distance':
        return tf.neg(logBhattacharyyaCoefficientOfPairs(a, pairs));
      case 'hellinger':
        return tf.sqrt(
          tf.add(tf.relu(tf.neg(tf.expm1(logBhattacharyyaCoefficientOfPairs(a, pairs)))), EPSILON),
        );
      case 'symmetric-kl':
        return symmetricKlOfPairs(a, pairs);
      default:
        throw new ReglabError(
          `unknown divergence "${kind as string}"`,
          `use one of ${DIVERGENCES.join(', ')}`,
        );
    }
  }) as tf.Tensor1D;
}

/** The penalty per pair that DR minimises: the coefficient itself, or minus a distance. */
export function penaltyOfPairs(
  kind: DivergenceKind,
  a: tf.Tensor2D,
  pairs: PairIndices,
): tf.Tensor1D {
  return tf.tidy(() => {
    const value = divergenceOfPairs(kind, a, pairs);
    return kind === 'bhattacharyya' ? value : tf.neg(value);
  });
}

/** Row p of `first` against row p of `second`: the rows stacked, paired (p, P + p). */
function rowPairs(
  first: tf.Tensor2D,
  second: tf.Tensor2D,
): { stacked: tf.Tensor2D; pairs: PairIndices } {
  const count = first.shape[0];
  return {
    stacked: tf.concat([first, second], 0),
    pairs: {
      first: Int32Array.from({ length: count }, (_, p) => p),
      second: Int32Array.from({ length: count }, (_, p) => count + p),
    },
  };
}

/** Applies a pair function to row p of `first` (`[P, units]` pre-activations) against row p of `second`. */
function onRowPairs(
  of: typeof divergenceOfPairs,
): (kind: DivergenceKind, first: tf.Tensor2D, second: tf.Tensor2D) => tf.Tensor1D {
  return (kind, first, second) =>
    tf.tidy(() => {
      const { stacked, pairs } = rowPairs(first, second);
      return of(kind, stacked, pairs);
    });
}

/** {@link divergenceOfPairs} for row p of `first` (`[P, units]` pre-activations) against row p of `second`. */
export const pairDivergence = onRowPairs(divergenceOfPairs);

/** {@link penaltyOfPairs} for row p of `first` against row p of `second`. */
export const pairPenalty = onRowPairs(penaltyOfPairs);
