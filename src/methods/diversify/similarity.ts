/**
 * Pairwise similarities s(h_i, h_j) between the feature rows of a minibatch, as `[n, n]`
 * matrices built from the Gram matrix G = H·Hᵀ (one matmul, no loop over pairs). DR
 * penalises them over different-class pairs, so each is "large when the two features look
 * alike":
 *
 *   cosine : ⟨h_i, h_j⟩ / (‖h_i‖‖h_j‖)               (default; scale-free, in [−1, 1])
 *   dot    : |⟨h_i, h_j⟩| / n_l                       (n_l = feature width)
 *   rbf    : exp(−‖h_i − h_j‖² / τ)                    (τ defaults to n_l)
 *   margin : max(0, m − ‖h_i − h_j‖)²                  (contrastive hinge, m defaults to 1)
 *
 * with ‖h_i − h_j‖² = ‖h_i‖² + ‖h_j‖² − 2 G_ij.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../../core/errors.js';

/** The similarity kinds of {@link pairwiseSimilarity}. */
export const SIMILARITIES = ['cosine', 'dot', 'rbf', 'margin'] as const;
export type SimilarityKind = (typeof SIMILARITIES)[number];

/** Parameters of the similarities that take one. */
export interface SimilarityOptions {
  /** RBF bandwidth τ (default: the feature width n_l). */
  tau?: number;
  /** Margin m of the contrastive hinge (default 1). */
  margin?: number;
}

/**
 * Keeps √ and the norm division differentiable at 0: the diagonal (‖h_i − h_i‖ = 0) and a dead
 * feature row (h = 0) are masked out of the mean, but 0 · ∞ in the backward pass would still
 * be NaN.
 */
const EPSILON = 1e-8;

function rowSquaredNorms(features: tf.Tensor2D): tf.Tensor2D {
  return tf.sum(tf.square(features), 1, true) as tf.Tensor2D;
}

/** ‖h_i − h_j‖² for all pairs, clamped at 0 against round-off. */
export function pairwiseSquaredDistances(features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = rowSquaredNorms(features);
    const gram = tf.matMul(features, features, false, true);
    return tf.relu(tf.sub(tf.add(norms, tf.transpose(norms)), tf.mul(2, gram))) as tf.Tensor2D;
  });
}

/** Rows scaled to unit length, u_i = h_i/√(‖h_i‖² + ε), and the divisors √(‖h_i‖² + ε). */
function unitRows(features: tf.Tensor2D): { unit: tf.Tensor2D; norms: tf.Tensor2D } {
  const norms = tf.sqrt(tf.add(rowSquaredNorms(features), EPSILON)) as tf.Tensor2D;
  return { unit: tf.div(features, norms), norms };
}

/**
 * A pair mask with what cosine DR's value and gradient need from it, computed once per batch
 * and shared by the layers: the pair count max(ΣM, 1) and the symmetric pair weights
 * A = (M + Mᵀ)/max(ΣM, 1). The mask comes from the labels: none of these gets a gradient.
 */
export interface CosinePairs {
  mask: tf.Tensor2D;
  count: tf.Scalar;
  weights: tf.Tensor2D;
}

/** {@link CosinePairs} of a pair mask. */
export function cosinePairs(mask: tf.Tensor2D): CosinePairs {
  const count = tf.maximum(tf.sum(mask), 1) as tf.Scalar;
  return { mask, count, weights: tf.div(tf.add(mask, tf.transpose(mask)), count) as tf.Tensor2D };
}

/**
 * DR_l for the cosine similarity, Σ M∘(UUᵀ) / max(ΣM, 1) (U: the unit rows), with its gradient
 * written out instead of autodiff through the Gram matrix, the mask and the norms. With the
 * symmetric pair weights A = (M + Mᵀ)/max(ΣM, 1), the value is ½·tr(UᵀAU), so
 *
 *   ∂/∂U = A·U,   ∂/∂h_i = (g_i − u_i⟨u_i, g_i⟩) / √(‖h_i‖² + ε)   (g = A·U, u_i = h_i/√(‖h_i‖² + ε))
 *
 * — one product instead of autodiff's two (the Gram matrix's two operands) and about half the
 * elementwise kernels. The value is computed by the same ops as the generic path
 * ({@link pairwiseSimilarity} then `maskedPairMean`). Pass {@link cosinePairs} to share the
 * count and the weights between layers, or a mask.
 */
export function maskedCosineMean(
  features: tf.Tensor2D,
  pairs: CosinePairs | tf.Tensor2D,
): tf.Scalar {
  const { mask, count, weights } = pairs instanceof tf.Tensor ? cosinePairs(pairs) : pairs;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [h, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const { unit, norms } = unitRows(h);
    save([unit, norms, weights]); // kept for the backward pass (a closure would not keep them)
    return {
      value: tf.div(tf.sum(tf.mul(tf.matMul(unit, unit, false, true), mask)), count),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [u, n, a] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = tf.matMul(tf.mul(a, dy) as tf.Tensor2D, u);
        const radial = tf.sum(tf.mul(u, g), 1, true);
        return tf.div(tf.sub(g, tf.mul(u, radial)), n);
      },
    };
  });
  return op(features) as tf.Scalar;
}

/** The `[n, n]` similarity matrix of the rows of `features` (`[n, n_l]`); see the file comment. */
export function pairwiseSimilarity(
  features: tf.Tensor2D,
  kind: SimilarityKind,
  options: SimilarityOptions = {},
): tf.Tensor2D {
  const width = features.shape[1];
  return tf.tidy(() => {
    switch (kind) {
      case 'cosine': {
        const { unit } = unitRows(features);
        return tf.matMul(unit, unit, false, true);
      }
      case 'dot':
        return tf.div(tf.abs(tf.matMul(features, features, false, true)), width);
      case 'rbf':
        return tf.exp(tf.div(tf.neg(pairwiseSquaredDistances(features)), options.tau ?? width));
      case 'margin': {
        const distance = tf.sqrt(tf.add(pairwiseSquaredDistances(features), EPSILON));
        return tf.square(tf.relu(tf.sub(options.margin ?? 1, distance)));
      }
      default:
        throw new ReglabError(
          `unknown similarity "${kind as string}"`,
          `use one of ${SIMILARITIES.join(', ')}`,
        );
    }
  }) as tf.Tensor2D;
}
