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
 * BC is computed in log space, log BC = Σ_k logaddexp(½(log p_ik + log p_jk),
 * ½(log(1−p_ik) + log(1−p_jk))) with log σ(a) = −softplus(−a), so a product of hundreds of
 * factors neither underflows nor loses its gradient when units saturate.
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
import { ReglabError } from '../core/errors.js';

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

function logSigmoid(a: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(a)));
}

/** log(e^x + e^y), stable for any magnitudes. */
function logAddExp(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const larger = tf.maximum(x, y);
  return tf.add(larger, tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(x, y))))));
}

/** log BC per pair, from the pre-activations `[P, units]` of the two sides. */
export function logBhattacharyyaCoefficient(first: tf.Tensor2D, second: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const onBoth = tf.mul(0.5, tf.add(logSigmoid(first), logSigmoid(second)));
    const offBoth = tf.mul(0.5, tf.add(logSigmoid(tf.neg(first)), logSigmoid(tf.neg(second))));
    return tf.sum(logAddExp(onBoth, offBoth), 1) as tf.Tensor1D;
  });
}

/** SKL per pair: Σ_k (p_ik − p_jk)(a_ik − a_jk). */
export function symmetricKl(first: tf.Tensor2D, second: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.sum(
        tf.mul(tf.sub(tf.sigmoid(first), tf.sigmoid(second)), tf.sub(first, second)),
        1,
      ) as tf.Tensor1D,
  );
}

/**
 * The value of `kind` per pair, as the name says: BC for `bhattacharyya` (a coefficient),
 * D_B, H and SKL for the others (distances).
 */
export function pairDivergence(
  kind: DivergenceKind,
  first: tf.Tensor2D,
  second: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    switch (kind) {
      case 'bhattacharyya':
        return tf.exp(logBhattacharyyaCoefficient(first, second));
      case 'bhattacharyya-distance':
        return tf.neg(logBhattacharyyaCoefficient(first, second));
      case 'hellinger':
        return tf.sqrt(
          tf.add(tf.relu(tf.neg(tf.expm1(logBhattacharyyaCoefficient(first, second)))), EPSILON),
        );
      case 'symmetric-kl':
        return symmetricKl(first, second);
      default:
        throw new ReglabError(
          `unknown divergence "${kind as string}"`,
          `use one of ${DIVERGENCES.join(', ')}`,
        );
    }
  }) as tf.Tensor1D;
}

/** The penalty per pair that DR minimises: the coefficient itself, or minus a distance. */
export function pairPenalty(
  kind: DivergenceKind,
  first: tf.Tensor2D,
  second: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const value = pairDivergence(kind, first, second);
    return kind === 'bhattacharyya' ? value : tf.neg(value);
  });
}
