/**
 * Deep belief network pretraining (Hinton, Osindero, Teh 2006) with optional generative DR,
 * and its unrolling into a sigmoid MLP for discriminative fine-tuning:
 *
 *   x⁰ = data;  for l = 1 … L:  RBM_l = trainRbm(x^{l−1}, labels);  x^l = σ(x^{l−1}W_l + c_l)
 *
 * Each RBM learns on the posterior means of the one below (not samples), and the class labels
 * are reused unchanged at every level for DR. Unrolling maps RBM_l to `dense_l` (units =
 * hidden_l, sigmoid, kernel W_l, bias c_l) and appends a fresh softmax layer `dense_{L+1}`,
 * the layout of the model zoo's `mlp:…` with sigmoid activations.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { check } from '../../../core/errors.js';
import type { Random } from '../../../core/random.js';
import { datasetSize, makeDataset, type Dataset } from '../../../data/dataset.js';
import {
  trainRbm,
  visibleMatrix,
  type Rbm,
  type RbmEpochMetrics,
  type TrainRbmOptions,
} from './rbm.js';
import { fileSystemHandler } from '../../../models/io.js';

/** Options of {@link trainDbn}: those of {@link trainRbm} for every level, plus the widths. */
export interface TrainDbnOptions extends Omit<TrainRbmOptions, 'hidden' | 'onEpoch'> {
  /** Hidden widths, bottom up, e.g. `[500, 500]`. */
  layers: readonly number[];
  /** Called after every epoch of every level (`level` is 1-based). */
  onEpoch?(level: number, metrics: RbmEpochMetrics): void;
}

/** The trained stack and the epoch metrics of every level. */
export interface DbnResult {
  rbms: Rbm[];
  history: RbmEpochMetrics[][];
}

/** The posterior means σ(xW + c) of every sample of `data`, as the next level's data set. */
export function posteriorMeans(rbm: Rbm, data: Dataset, chunk = 1000): Dataset {
  const n = datasetSize(data);
  const x = new Float32Array(n * rbm.hiddenUnits);
  for (let start = 0; start < n; start += chunk) {
    const indices = Int32Array.from({ length: Math.min(chunk, n - start) }, (_, i) => start + i);
    const means = tf.tidy(() => {
      const v = visibleMatrix(data, indices);
      return rbm.hiddenProbabilities(v).dataSync();
    });
    x.set(means, start * rbm.hiddenUnits);
  }
  return makeDataset({
    name: `${data.name}/h${rbm.hiddenUnits}`,
    x,
    labels: data.labels,
    sampleShape: [rbm.hiddenUnits],
    numClasses: data.numClasses,
  });
}

/** Greedy layer-wise pretraining of a stack of RBMs (see the file comment). */
export function trainDbn(data: Dataset, options: TrainDbnOptions): DbnResult {
  check(
    options.layers.length > 0,
    'a DBN needs at least one hidden layer',
    'pass layers: [500, 500]',
  );
  const rbms: Rbm[] = [];
  const history: RbmEpochMetrics[][] = [];
  let input = data;
  options.layers.forEach((hidden, index) => {
    const level = index + 1;
    const { rbm, history: levelHistory } = trainRbm(input, {
      ...options,
      hidden,
      onEpoch: (metrics) => options.onEpoch?.(level, metrics),
    });
    rbms.push(rbm);
    history.push(levelHistory);
    if (level < options.layers.length) input = posteriorMeans(rbm, input);
  });
  return { rbms, history };
}

/** Options of {@link unrollDbn}. */
export interface UnrollOptions {
  /** Shape of one input sample (an image shape gets a `flatten` layer first). */
  inputShape: readonly number[];
  numClasses: number;
  /** Seeds the fresh softmax layer's Glorot-uniform kernel. */
  rng: Random;
}

/** The sigmoid MLP `dense_1 … dense_L` (RBM weights) + softmax `dense_{L+1}` (fresh). */
export function unrollDbn(rbms: readonly Rbm[], options: UnrollOptions): tfl.Sequential {
  const inputLength = options.inputShape.reduce((a, b) => a * b, 1);
  check(
    rbms.length > 0 && rbms[0].visibleUnits === inputLength,
    `the first RBM has ${rbms[0]?.visibleUnits} visible units for inputs of ${inputLength} values`,
    'unroll with the input shape the DBN was trained on',
  );
  const model = tfl.sequential();
  const first = { inputShape: [...options.inputShape] };
  if (options.inputShape.length > 1) model.add(tfl.layers.flatten({ name: 'flatten', ...first }));
  rbms.forEach((rbm, index) => {
    const shape = index === 0 && options.inputShape.length === 1 ? first : {};
    const layer = tfl.layers.dense({
      name: `dense_${index + 1}`,
      units: rbm.hiddenUnits,
      activation: 'sigmoid',
      ...shape,
    });
    model.add(layer);
    layer.setWeights([rbm.weights, rbm.hiddenBias]);
  });
  model.add(
    tfl.layers.dense({
      name: `dense_${rbms.length + 1}`,
      units: options.numClasses,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: options.rng.seed() }),
      biasInitializer: tfl.initializers.zeros(),
    }),
  );
  return model;
}

/** Saves an unrolled model as `dir/model.json` + `dir/weights.bin` (what `reglab train --init` reads). */
export async function saveUnrolled(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemHandler(dir));
}

/** Loads a model saved by {@link saveUnrolled}. */
export async function loadUnrolled(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileSystemHandler(dir));
}
