/**
 * Helpers shared by the racecar examples: the three contenders (Std, Ort, RR), the official
 * double-softmax task loss, a full-batch training loop, reconstruction PNGs and JSON output.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  datasetSize,
  disposeBatch,
  imagesFromArray,
  inputsBesideReconstructions,
  makeBatch,
  racecar as rr,
  selectBackend,
  writePngGrid,
  type Dataset,
  type Random,
  type RegularizationTerm,
  type TaskLoss,
} from '../src/index.js';

const { orthogonality, racecar, reconstruct } = rr;
type ReconstructOptions = rr.ReconstructOptions;

/** The official code applies softmax cross-entropy to the already-softmaxed output. */
export const doubleSoftmaxLoss: TaskLoss = (trace, batch) =>
  tf.losses.softmaxCrossEntropy(batch.y, trace.output) as tf.Scalar;

/** `RR` starts the reverse pass before the softmax (official); `RR-probabilities` after it (our variant). */
export type Method = 'Std' | 'Ort' | 'RR' | 'RR-probabilities';
export const METHODS: readonly Method[] = ['Std', 'Ort', 'RR'];

/** The regularization terms of a method. */
export function termsFor(
  method: Method,
  rrLambda: number,
  ortFactor: number,
): RegularizationTerm[] {
  if (method === 'RR') return [racecar({ lambda: rrLambda })];
  if (method === 'RR-probabilities') return [racecar({ lambda: rrLambda, start: 'probabilities' })];
  if (method === 'Ort') return [orthogonality({ factor: ortFactor })];
  return [];
}

/** wasm with reglab's kernel fixes when it loads, else cpu. */
export async function exampleBackend(): Promise<string> {
  const wanted = process.env.REGLAB_BACKEND ?? 'wasm';
  try {
    return await selectBackend(wanted as 'wasm' | 'cpu', { log: false });
  } catch {
    return selectBackend('cpu', { log: false });
  }
}

/** The whole data set as one batch (the official examples train full-batch). */
export function fullBatch(data: Dataset) {
  return makeBatch(
    data,
    Int32Array.from({ length: datasetSize(data) }, (_, i) => i),
  );
}

/** Writes inputs beside their reconstructions d'_1 as one PNG grid. */
export async function writeReconstructions(
  file: string,
  model: tfl.LayersModel,
  data: Dataset,
  options: ReconstructOptions = {},
): Promise<Float32Array> {
  const batch = fullBatch(data);
  const out = reconstruct(model, batch.x, options);
  const values = out.dataSync() as Float32Array;
  const inputs = imagesFromArray(batch.x.dataSync(), data.sampleShape);
  const recs = imagesFromArray(values, data.sampleShape);
  const grid = inputsBesideReconstructions(inputs, recs, 5);
  await mkdir(path.dirname(file), { recursive: true });
  await writePngGrid(file, grid.images, { columns: grid.columns, upscale: 3 });
  tf.dispose(out);
  disposeBatch(batch);
  return values;
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value, null, 2) + '\n');
}

/** Pearson correlation of two equally long arrays. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** mean ± sample standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

export type { Random };

/**
 * The model of the official `SVD-example/peak_training.py`: 784→128→2, batch norm + ReLU after
 * both dense layers, then a softmax layer (`fcout2 = tf.nn.relu(batch_norm(…))`,
 * `prediction = tf.nn.softmax(fcout2)`), on 28×28×1 images.
 */
export function peakModel(rng: Random): tfl.Sequential {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.seed() });
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }),
      tfl.layers.dense({ name: 'dense_1', units: 128, kernelInitializer: init() }),
      tfl.layers.batchNormalization({ name: 'bn_1' }),
      tfl.layers.activation({ name: 'act_1', activation: 'relu' }),
      tfl.layers.dense({ name: 'dense_2', units: 2, kernelInitializer: init() }),
      tfl.layers.batchNormalization({ name: 'bn_2' }),
      tfl.layers.activation({ name: 'act_2', activation: 'relu' }),
      tfl.layers.activation({ name: 'softmax', activation: 'softmax' }),
    ],
  });
}
