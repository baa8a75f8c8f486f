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
 *
 * Resumable stacks ({@link trainDbnResumably}, what `reglab pretrain` runs): after each level the
 * stack checkpoint `stack.json` + `stack-<levels>.bin` holds the finished RBMs, their epoch
 * metrics and the generator's state; the rename of `stack.json` is the level's commit point (as
 * train/checkpoint.ts for epochs). A resumed stack re-derives the next level's input from the
 * restored RBMs (posterior means: no random draw) and continues with the restored generator, so
 * it ends bit for bit where an uninterrupted one would; a level in flight is trained again.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { check, ReglabError } from '../../../core/errors.js';
import { crashPoint, pathExists, writeFileAtomic } from '../../../core/fs.js';
import { randomStateSchema, type RandomState, type Random } from '../../../core/random.js';
import {
  array,
  integer,
  measured,
  number,
  object,
  oneOf,
  readChecked,
  string,
  type Schema,
} from '../../../core/schema.js';
import { datasetSize, makeDataset, type Dataset } from '../../../data/dataset.js';
import { Rbm, trainRbm, visibleMatrix, type RbmEpochMetrics, type TrainRbmOptions } from './rbm.js';
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

/**
 * The levels of a greedy stack, one `yield` per finished level (the stack so far), starting after
 * the levels of `start` (restored from a checkpoint; the stack takes them over).
 */
function* dbnLevels(
  data: Dataset,
  options: TrainDbnOptions,
  start: DbnResult = { rbms: [], history: [] },
): Generator<DbnResult> {
  check(
    options.layers.length > 0,
    'a DBN needs at least one hidden layer',
    'pass layers: [500, 500]',
  );
  const rbms = [...start.rbms];
  const history = [...start.history];
  let input = data;
  for (const rbm of rbms) input = posteriorMeans(rbm, input);
  for (let index = rbms.length; index < options.layers.length; index++) {
    const level = index + 1;
    const { rbm, history: levelHistory } = trainRbm(input, {
      ...options,
      hidden: options.layers[index],
      onEpoch: (metrics) => options.onEpoch?.(level, metrics),
    });
    rbms.push(rbm);
    history.push(levelHistory);
    yield { rbms: [...rbms], history: [...history] };
    if (level < options.layers.length) input = posteriorMeans(rbm, input);
  }
}

/** Greedy layer-wise pretraining of a stack of RBMs (see the file comment). */
export function trainDbn(data: Dataset, options: TrainDbnOptions): DbnResult {
  let result: DbnResult = { rbms: [], history: [] };
  for (result of dbnLevels(data, options));
  return result;
}

/**
 * {@link trainDbn} with a checkpoint after every level in `dir`, resuming from the one there
 * (see the file comment). `options.rng` must be the generator a restored checkpoint holds
 * ({@link loadDbnCheckpoint}), or the fresh one of a new stack.
 */
export async function trainDbnResumably(
  data: Dataset,
  options: TrainDbnOptions,
  dir: string,
  start?: DbnResult,
): Promise<DbnResult> {
  let result = start ?? { rbms: [], history: [] };
  for (result of dbnLevels(data, options, start))
    await saveDbnCheckpoint(dir, result, options.rng.state());
  return result;
}

/** A stack checkpoint's data: the finished levels, their metrics and the generator after them. */
export interface DbnCheckpoint extends DbnResult {
  rng: RandomState;
}

const STACK_MANIFEST = 'stack.json';
const STACK_DATA = /^stack-\d+\.bin$/;

const RbmEpochMetricsSchema: Schema<RbmEpochMetrics> = object({
  epoch: integer,
  reconstructionError: measured,
  freeEnergy: measured,
  drPenalty: measured,
  seconds: number,
});

const StackManifest = object({
  format: oneOf('reglab-stack-1'),
  levels: integer,
  rng: randomStateSchema,
  history: array(array(RbmEpochMetricsSchema)),
  file: string,
  specs: array(object({ name: string, shape: array(integer), dtype: oneOf('float32') })),
});

const STACK_HINT =
  'the stack checkpoint is damaged; delete stack.json (and stack-*.bin) to pretrain from the first level';

/** Writes the stack checkpoint (data first, then the manifest's rename: the commit point). */
export async function saveDbnCheckpoint(
  dir: string,
  stack: DbnResult,
  rng: RandomState,
): Promise<void> {
  const tensors = stack.rbms.flatMap((rbm, k) => [
    { name: `rbm_${k + 1}/weights`, tensor: rbm.weights },
    { name: `rbm_${k + 1}/visible_bias`, tensor: rbm.visibleBias },
    { name: `rbm_${k + 1}/hidden_bias`, tensor: rbm.hiddenBias },
  ]);
  const encoded = await tf.io.encodeWeights(tensors);
  const file = `stack-${stack.rbms.length}.bin`;
  await writeFileAtomic(path.join(dir, file), new Uint8Array(encoded.data as ArrayBuffer));
  const manifest = {
    format: 'reglab-stack-1',
    levels: stack.rbms.length,
    rng,
    history: stack.history,
    file,
    specs: encoded.specs,
  };
  await writeFileAtomic(path.join(dir, STACK_MANIFEST), JSON.stringify(manifest));
  crashPoint('checkpoint:written');
  await removeStaleStackFiles(dir);
  crashPoint('checkpoint:committed');
}

/** The stack checkpoint in `dir`, checked; undefined when there is none. */
export async function loadDbnCheckpoint(dir: string): Promise<DbnCheckpoint | undefined> {
  const manifestFile = path.join(dir, STACK_MANIFEST);
  if (!(await pathExists(manifestFile))) return undefined;
  const manifest = await readChecked(manifestFile, StackManifest, STACK_HINT);
  const bytes = await fs.readFile(path.join(dir, manifest.file)).catch(() => {
    throw new ReglabError(`${manifestFile} names ${manifest.file}, which is missing`, STACK_HINT);
  });
  const expected = manifest.specs.reduce(
    (sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1),
    0,
  );
  if (bytes.byteLength !== expected || manifest.specs.length !== 3 * manifest.levels)
    throw new ReglabError(
      `${path.join(dir, manifest.file)} has ${bytes.byteLength} bytes for ${manifest.specs.length} tensors, but its manifest describes ${expected} bytes for ${3 * manifest.levels}`,
      STACK_HINT,
    );
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const tensors = tf.io.decodeWeights(buffer, manifest.specs);
  const rbms = Array.from({ length: manifest.levels }, (_, k) => {
    const get = (name: string) => tensors[`rbm_${k + 1}/${name}`];
    return new Rbm(
      get('weights') as tf.Tensor2D,
      get('visible_bias') as tf.Tensor1D,
      get('hidden_bias') as tf.Tensor1D,
    );
  });
  return { rbms, history: manifest.history, rng: manifest.rng };
}

/** Deletes `stack-<n>.bin` files the manifest does not name; returns their names. */
export async function removeStaleStackFiles(dir: string): Promise<string[]> {
  const manifestFile = path.join(dir, STACK_MANIFEST);
  const current = (await pathExists(manifestFile))
    ? (await readChecked(manifestFile, StackManifest, STACK_HINT)).file
    : undefined;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => STACK_DATA.test(name) && name !== current);
  for (const name of stale) await fs.rm(path.join(dir, name), { force: true });
  return stale;
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
