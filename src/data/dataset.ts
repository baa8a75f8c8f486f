/**
 * The in-memory data set every reglab loader produces, and the batching over it.
 *
 * Samples are stored flat in one Float32Array, channels-last (`[H, W, C]` for images), so
 * a batch is one `tf.tensor` call over a contiguous copy — no per-sample tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import type { Random } from '../core/random.js';

export interface Dataset {
  /** Human-readable name, e.g. `mnist/train`. */
  readonly name: string;
  /** All samples, flat, `size × prod(sampleShape)` values. */
  readonly x: Float32Array;
  /** Class index of every sample, in `[0, numClasses)`. */
  readonly labels: Int32Array;
  /** Shape of one sample, e.g. `[28, 28, 1]`. */
  readonly sampleShape: readonly number[];
  /** Number of classes (the width of the one-hot targets). */
  readonly numClasses: number;
  /** Optional class names (folder names, CIFAR names). */
  readonly classNames?: readonly string[];
  /**
   * Sequence targets: the class of every position of every sample (`size × sampleShape[0]`
   * values; a language model's next tokens, data/text.ts). Batches then hold one one-hot row
   * per position, `[b·T, numClasses]`.
   */
  readonly targets?: Int32Array;
  /**
   * Token streams (data/text.ts): the samples are the windows of `streams` parallel streams,
   * window by window, so batch k of `streams` samples continues batch k − 1. The trainer reads
   * such a set in order, in batches of `streams`, carrying recurrent state across batches.
   */
  readonly streams?: number;
}

/** A train/test pair as loaders return it. */
export interface DataSplit {
  train: Dataset;
  test: Dataset;
  /**
   * A validation split, for the sets that have one (the language-model corpora): evaluated
   * after every epoch instead of `test`, which is then only evaluated at the end.
   */
  valid?: Dataset;
}

/**
 * One minibatch: inputs, one-hot targets and the integer labels — one row per sample, or one
 * per position (`b·T` rows, sample-major) for a set with sequence {@link Dataset.targets}.
 */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor2D;
  labels: Int32Array;
}

/** Number of samples in `data`. */
export function datasetSize(data: Dataset): number {
  return data.labels.length;
}

/** Values per sample. */
export function sampleLength(data: Dataset): number {
  return data.sampleShape.reduce((a, b) => a * b, 1);
}

/** Builds a data set, checking that `x`, `labels` and `sampleShape` agree. */
export function makeDataset(fields: Dataset): Dataset {
  const n = fields.labels.length;
  const per = fields.sampleShape.reduce((a, b) => a * b, 1);
  check(
    fields.x.length === n * per,
    `data set ${fields.name}: ${fields.x.length} values for ${n} samples of shape [${fields.sampleShape}]`,
    'the sample count times the sample size must equal the number of values',
  );
  checkClasses(fields, fields.labels, 'label', 'sample');
  if (fields.targets) {
    const steps = fields.sampleShape[0];
    check(
      fields.targets.length === n * steps,
      `data set ${fields.name}: ${fields.targets.length} targets for ${n} sequences of ${steps} positions`,
      'give one target per position',
    );
    checkClasses(fields, fields.targets, 'target', 'position');
  }
  return fields;
}

function checkClasses(data: Dataset, values: Int32Array, what: string, where: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    check(
      Number.isInteger(value) && value >= 0 && value < data.numClasses,
      `data set ${data.name}: ${what} ${value} at ${where} ${i} is outside [0, ${data.numClasses})`,
      `${what}s must be class indices`,
    );
  }
}

/** The samples at `indices`, as a new data set (copies the values). */
export function selectSamples(
  data: Dataset,
  indices: ArrayLike<number>,
  name = data.name,
): Dataset {
  const per = sampleLength(data);
  const x = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  const steps = data.targets ? data.sampleShape[0] : 0;
  const targets = data.targets ? new Int32Array(indices.length * steps) : undefined;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(data.x.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = data.labels[i];
    targets?.set((data.targets as Int32Array).subarray(i * steps, (i + 1) * steps), k * steps);
  }
  return { ...data, name, x, labels, targets };
}

/**
 * The first `count` samples, or a seeded random subset when `rng` is given.
 * A `count` at or above the size returns the data set unchanged.
 */
export function subset(data: Dataset, count: number, rng?: Random): Dataset {
  check(Number.isInteger(count) && count > 0, `subset size ${count} is not a positive integer`);
  const n = datasetSize(data);
  if (count >= n) return data;
  const order = rng
    ? rng.permutation(n).subarray(0, count)
    : Int32Array.from({ length: count }, (_, i) => i);
  return selectSamples(data, order, `${data.name}[${count}]`);
}

/** Makes the batch tensors for samples `indices` of `data` (see {@link Batch} for sequences). */
export function makeBatch(data: Dataset, indices: ArrayLike<number>): Batch {
  const picked = selectSamples(data, indices);
  const x = tf.tensor(picked.x, [indices.length, ...data.sampleShape]);
  const labels = picked.targets ?? picked.labels;
  const y = tf.tidy(() =>
    tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), data.numClasses), 'float32'),
  ) as tf.Tensor2D;
  return { x, y, labels };
}

/** Disposes the tensors of a batch. */
export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.x, batch.y]);
}

/**
 * The index lists of one epoch's batches: shuffled with `rng` when given, the last batch
 * smaller when `size` is not a multiple of `batchSize`.
 */
export function batchIndices(size: number, batchSize: number, rng?: Random): Int32Array[] {
  check(
    Number.isInteger(batchSize) && batchSize > 0,
    `batch size ${batchSize} is not a positive integer`,
  );
  const order = rng ? rng.permutation(size) : Int32Array.from({ length: size }, (_, i) => i);
  const out: Int32Array[] = [];
  for (let start = 0; start < size; start += batchSize)
    out.push(order.subarray(start, Math.min(size, start + batchSize)));
  return out;
}

/** Yields the batches of one epoch; each batch's tensors are disposed when the next is made. */
export function* batches(data: Dataset, batchSize: number, rng?: Random): Generator<Batch> {
  for (const indices of batchIndices(datasetSize(data), batchSize, rng)) {
    const batch = makeBatch(data, indices);
    try {
      yield batch;
    } finally {
      disposeBatch(batch);
    }
  }
}
