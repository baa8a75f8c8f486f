/**
 * Greedy layer-wise training with DR (the "guided layer-wise learning" of the paper's title):
 *
 *   for l = 1 … L:
 *     model_l = [dense_1 … dense_{l−1} (frozen, copied from model_{l−1})] + dense_l + fresh softmax
 *     train model_l on  task loss + λ · DR(dense_l)          (only dense_l and the softmax move)
 *
 * The returned model is model_L with every layer made trainable again, ready for end-to-end
 * fine-tuning with the {@link Trainer} (or use it as it is).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check } from '../../core/errors.js';
import type { Random } from '../../core/random.js';
import type { Dataset } from '../../data/dataset.js';
import { buildModel, type ActivationName } from '../../models/zoo.js';
import { Trainer, type EpochMetrics } from '../../train/trainer.js';
import { diversify, type DiversifyOptions } from './diversify.js';

/** Options of {@link trainGreedyLayerwise}. */
export interface GreedyLayerwiseOptions {
  /** Hidden widths, e.g. `[256, 256]`. */
  widths: readonly number[];
  train: Dataset;
  validation?: Dataset;
  epochsPerLayer: number;
  batchSize: number;
  /** A fresh optimizer per stage (optimizer state must not carry over between models). */
  optimizer: () => tf.Optimizer;
  /** DR on the newest layer of each stage; omit (or λ = 0) for plain greedy training. */
  dr?: Omit<DiversifyOptions, 'layers' | 'layerWeights'>;
  /** Hidden activation (default sigmoid, the paper's setting). */
  activation?: ActivationName;
  rng: Random;
  /** Called after stage l (1-based) with its model, before the next stage copies it. */
  onStage?(stage: number, model: tfl.LayersModel): void;
}

/** The trained model and the epoch history of every stage. */
export interface GreedyLayerwiseResult {
  model: tfl.LayersModel;
  stages: EpochMetrics[][];
}

/** Trains an MLP greedily, one hidden layer at a time (see the file comment). */
export async function trainGreedyLayerwise(
  options: GreedyLayerwiseOptions,
): Promise<GreedyLayerwiseResult> {
  check(
    options.widths.length > 0,
    'greedy layer-wise training needs at least one hidden width',
    'pass widths: [256, 256]',
  );
  const stages: EpochMetrics[][] = [];
  let previous: tfl.LayersModel | undefined;
  for (let l = 1; l <= options.widths.length; l++) {
    const model = buildModel(`mlp:${options.widths.slice(0, l).join(',')}`, {
      inputShape: options.train.sampleShape,
      numClasses: options.train.numClasses,
      rng: options.rng,
      activation: options.activation ?? 'sigmoid',
    });
    if (previous) freezeCopiedLayers(previous, model, l - 1);
    previous?.dispose();
    const terms =
      options.dr && options.dr.lambda !== 0
        ? [diversify({ ...options.dr, layers: [`dense_${l}`] })]
        : [];
    const trainer = new Trainer({ model, optimizer: options.optimizer(), terms, rng: options.rng });
    stages.push([
      ...(await trainer.fit(options.train, {
        epochs: options.epochsPerLayer,
        batchSize: options.batchSize,
        validation: options.validation,
      })),
    ]);
    trainer.optimizer.dispose();
    options.onStage?.(l, model);
    previous = model;
  }
  const model = previous as tfl.LayersModel;
  for (const layer of model.layers) layer.trainable = true;
  return { model, stages };
}

/** Copies dense_1 … dense_count from `source` into `target` and freezes them there. */
function freezeCopiedLayers(source: tfl.LayersModel, target: tfl.LayersModel, count: number): void {
  for (let k = 1; k <= count; k++) {
    const layer = target.getLayer(`dense_${k}`);
    layer.setWeights(source.getLayer(`dense_${k}`).getWeights());
    layer.trainable = false;
  }
}
