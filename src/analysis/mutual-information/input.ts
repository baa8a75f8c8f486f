/**
 * The activations of one layer over a batch, as the estimators read them: n samples × d units.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';

/**
 * One layer's activations over a batch of n samples: a tensor whose first axis is the sample
 * (`[n, d]`, or `[n, h, w, c]` for a convolutional layer — flattened to `[n, h·w·c]`), or a flat
 * row-major Float32Array of n·d values (d is inferred from the number of labels).
 */
export type Activations = tf.Tensor | Float32Array;

/** A flat row-major n × d matrix. */
export interface Matrix {
  readonly values: Float32Array;
  readonly n: number;
  readonly d: number;
}

/** Number of units per sample, checking the activations hold n whole samples. */
function unitsPerSample(activations: Activations, n: number): number {
  const size = activations instanceof Float32Array ? activations.length : activations.size;
  const rows = activations instanceof Float32Array ? n : activations.shape[0];
  check(
    rows === n && size > 0 && size % n === 0,
    `the activations (${size} values, ${rows} rows) are not ${n} samples × d units`,
    'pass one row of activations per label, samples on the first axis',
  );
  return size / n;
}

/** The activations as a flat n × d matrix (reads a tensor back synchronously). */
export function toMatrix(activations: Activations, n: number): Matrix {
  const d = unitsPerSample(activations, n);
  const values =
    activations instanceof Float32Array ? activations : Float32Array.from(activations.dataSync());
  return { values, n, d };
}

/** The activations as an `[n, d]` float32 tensor; call inside `tf.tidy` (it may make intermediates). */
export function toTensor2D(activations: Activations, n: number): tf.Tensor2D {
  const d = unitsPerSample(activations, n);
  if (activations instanceof Float32Array) return tf.tensor2d(activations, [n, d]);
  return tf.cast(tf.reshape(activations, [n, d]), 'float32') as tf.Tensor2D;
}
