/** Task losses for the trainer. */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskLoss } from './term.js';

/**
 * Softmax cross-entropy on the logits (the trace's pre-softmax value), mean over the batch.
 * Stable for large logits, unlike cross-entropy on probabilities.
 */
export const softmaxCrossEntropy: TaskLoss = (trace, batch) =>
  tf.losses.softmaxCrossEntropy(batch.y, trace.logits) as tf.Scalar;

/** Fraction of the batch whose arg-max output equals the label. */
export function accuracy(output: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(
    () =>
      tf.mean(tf.cast(tf.equal(tf.argMax(output, -1), tf.argMax(y, -1)), 'float32')) as tf.Scalar,
  );
}
