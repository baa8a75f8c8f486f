/**
 * Task losses for the trainer.
 *
 * Sequence outputs `[b, T, V]` (a language model's logits) are read as `b·T` rows `[b·T, V]`,
 * sample-major — the row order of a sequence batch's one-hot targets (data/dataset.ts `Batch`)
 * — so the loss is the mean cross-entropy over every token of the batch and its exponential is
 * the perplexity (see {@link perplexity}).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskLoss } from './term.js';

/** `[…, V]` as `[rows, V]`: a sequence output's positions become rows; a matrix is unchanged. */
export function asRows(values: tf.Tensor): tf.Tensor2D {
  return values.rank === 2
    ? (values as tf.Tensor2D)
    : tf.reshape(values, [-1, values.shape[values.rank - 1]]);
}

/**
 * Softmax cross-entropy on the logits (the trace's pre-softmax value), mean over the rows
 * (the samples, or every token of a sequence batch). Stable for large logits, unlike
 * cross-entropy on probabilities.
 */
export const softmaxCrossEntropy: TaskLoss = (trace, batch) =>
  tf.tidy(() => tf.losses.softmaxCrossEntropy(batch.y, asRows(trace.logits)) as tf.Scalar);

/** Fraction of the rows whose arg-max output equals the label (per token for sequences). */
export function accuracy(output: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(
    () =>
      tf.mean(
        tf.cast(tf.equal(tf.argMax(asRows(output), -1), tf.argMax(y, -1)), 'float32'),
      ) as tf.Scalar,
  );
}

/**
 * Perplexity exp(mean token cross-entropy) from a mean cross-entropy in nats: the size of a
 * uniform choice as uncertain as the model (a uniform model over V words has perplexity V).
 */
export function perplexity(meanCrossEntropy: number): number {
  return Math.exp(meanCrossEntropy);
}
