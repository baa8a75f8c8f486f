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
        const unit = tf.div(features, tf.sqrt(tf.add(rowSquaredNorms(features), EPSILON)));
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
