/**
 * One training run from a declarative config: the data, model, optimizer, terms and monitors
 * a config names, trained by the {@link Trainer}, with a run folder holding
 *
 *   config.json     the config (and the backend that ran it)
 *   metrics.jsonl   one line of {@link EpochMetrics} per epoch
 *   checkpoint.json + checkpoint-<epoch>.bin   resumable state (atomic)
 *   model.json + weights.bin                   the final model (tf.loadLayersModel reads it)
 *   result.json     written last: the test numbers; its presence marks a finished run
 *
 * `reglab train`, `reglab compare` and `reglab demo` all go through {@link trainRun}.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { Random } from '../core/random.js';
import { loadDataset } from '../data/registry.js';
import type { DataSplit } from '../data/dataset.js';
import type { Sampling, TestSet } from '../data/raw.js';
import { createModel, loadModel, type ActivationName } from '../models/zoo.js';
import { fileSystemHandler, pathExists, readJson, writeFileAtomic } from './files.js';
import { createOptimizer } from './optimizers.js';
import { createTerm, monitorRegistry, parseTermSpec } from './term-spec.js';
import { Trainer, type EpochMetrics, type TrainerCallbacks } from './trainer.js';

/** Everything that defines a run; what `config.json` holds. */
export interface RunConfig {
  dataset: string;
  dataDir?: string;
  trainSize?: number;
  testSize?: number;
  /** How subsets are picked: `first` (default), `random` or `stratified` (seeded). */
  sampling?: Sampling;
  /** What the test split holds: `test` (default) or `test+rest` (see data/raw.ts `TestSet`). */
  testSet?: TestSet;
  rawPixels?: boolean;
  /** Transfer variant, e.g. `rotate:45`. */
  transfer?: string;
  /** Zoo spec or path of a model.json. */
  model: string;
  activation?: ActivationName;
  batchNorm?: boolean;
  /** Run folder (or model.json) whose weights initialise the model (transfer, pretraining). */
  init?: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  momentum?: number;
  /** Constraint specs for constrained optimizers. */
  constraints?: string[];
  /** Regularization term specs, e.g. `racecar:1e-5`. */
  regs?: string[];
  /** Monitor specs, e.g. `activations`. */
  track?: string[];
  seed: number;
  /** Samples of the held-out set that monitors see. */
  monitorSamples?: number;
  /** Evaluate the test set every N epochs and after the last (default 1). */
  evalEvery?: number;
}

/** What a finished run reports (`result.json`). */
export interface RunResult {
  testLoss: number;
  testAccuracy: number;
  trainAccuracy: number;
  epochs: number;
  seconds: number;
  backend: string;
  history: EpochMetrics[];
}

export interface RunHooks {
  /** Receives progress lines. */
  log?: (line: string) => void;
  /** Extra trainer callbacks (progress bars, snapshots). */
  callbacks?: TrainerCallbacks;
  /** Data already loaded for this config (compare shares one load across runs). */
  data?: DataSplit;
  /** Called with the trainer once it exists (snapshots need the model). */
  onTrainer?: (trainer: Trainer, data: DataSplit) => void;
}

/** Default values of optional config fields. */
export const RUN_DEFAULTS = {
  batchSize: 128,
  optimizer: 'adam',
  lr: 1e-3,
  momentum: 0.9,
  epochs: 5,
  seed: 1,
} as const;

/** Loads the data a config names. */
export function loadRunData(config: RunConfig): DataSplit {
  return loadDataset({
    dataset: config.dataset,
    dataDir: config.dataDir,
    trainSize: config.trainSize,
    testSize: config.testSize,
    testSet: config.testSet,
    sampling: config.sampling,
    rawPixels: config.rawPixels,
    transfer: config.transfer,
    seed: config.seed,
  });
}

async function initialModel(
  config: RunConfig,
  data: DataSplit,
  rng: Random,
): Promise<tfl.LayersModel> {
  const model = await createModel(config.model, {
    inputShape: data.train.sampleShape,
    numClasses: data.train.numClasses,
    rng,
    activation: config.activation,
    batchNorm: config.batchNorm,
  });
  if (config.init) await copyWeightsFrom(model, config.init);
  return model;
}

/** Copies the weights of a saved model (run folder or model.json) into `model`, by layer name. */
export async function copyWeightsFrom(model: tfl.LayersModel, source: string): Promise<void> {
  const file = source.endsWith('.json') ? source : path.join(source, 'model.json');
  const saved = await loadModel(file);
  for (const layer of saved.layers) {
    const target = model.layers.find((l) => l.name === layer.name);
    const weights = layer.getWeights();
    if (!target || weights.length === 0) continue;
    const shapes = target.getWeights().map((w) => w.shape.join('x'));
    if (shapes.join() !== weights.map((w) => w.shape.join('x')).join()) {
      throw new ReglabError(
        `--init ${source}: layer ${layer.name} has weights [${weights.map((w) => w.shape.join('x'))}] but the model has [${shapes}]`,
        'initialise from a run with the same architecture (or a pretrained stack with matching widths)',
      );
    }
    target.setWeights(weights);
  }
  saved.dispose();
}

/** Trains the run a config describes; writes the run folder when `out` is given. */
export async function trainRun(
  config: RunConfig,
  out?: string,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const started = performance.now();
  const rng = new Random(config.seed);
  const data = hooks.data ?? loadRunData(config);
  // Streams by purpose, derived from the seed alone: the same seed gives every method the same
  // initial weights and batch order, whatever the method draws (paired comparisons).
  const model = await initialModel(config, data, rng.derive('init'));
  const context = { rng: rng.derive('setup') };
  const trainer = new Trainer({
    model,
    optimizer: createOptimizer({
      spec: config.optimizer,
      learningRate: config.lr,
      momentum: config.momentum ?? RUN_DEFAULTS.momentum,
      constraints: config.constraints ?? [],
      model,
      rng: rng.derive('optimizer'),
    }),
    terms: (config.regs ?? []).map((spec) => createTerm(spec, context)),
    monitors: (config.track ?? []).map((text) => {
      const spec = parseTermSpec(text.includes(':') ? text : `${text}:0`);
      return monitorRegistry.get(spec.name).create(spec, context);
    }),
    rng,
    callbacks: withMetricsFile(out, hooks.callbacks),
  });
  hooks.onTrainer?.(trainer, data);
  if (out) await writeRunConfig(out, config);
  await trainer.fit(data.train, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    validation: data.test,
    checkpointDir: out,
    monitorSamples: config.monitorSamples,
    validateEvery: config.evalEvery,
  });
  const test = trainer.evaluate(data.test);
  const result: RunResult = {
    testLoss: test.loss,
    testAccuracy: test.accuracy,
    trainAccuracy: trainer.history.at(-1)?.accuracy ?? Number.NaN,
    epochs: trainer.epoch,
    seconds: (performance.now() - started) / 1000,
    backend: tf.getBackend(),
    history: trainer.history,
  };
  if (out) {
    await model.save(fileSystemHandler(out));
    await writeFileAtomic(path.join(out, 'result.json'), JSON.stringify(result, null, 2));
  }
  model.dispose();
  return result;
}

/**
 * Writes `config.json`, refusing to mix two runs in one folder: a folder that already holds a
 * different config (another model, seed, term, …) is an error, not a silent resume.
 */
async function writeRunConfig(out: string, config: RunConfig): Promise<void> {
  const file = path.join(out, 'config.json');
  const previous = await fs.readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as RunConfig & { backend?: string },
    () => undefined,
  );
  const canonical = (c: RunConfig) =>
    JSON.stringify(
      c,
      Object.keys(c)
        .filter((k) => k !== 'backend')
        .sort(),
    );
  if (previous && canonical(previous) !== canonical(JSON.parse(JSON.stringify(config)))) {
    throw new ReglabError(
      `run folder ${out} holds a different run (its config.json differs)`,
      'choose another --out, or delete the folder to start afresh',
    );
  }
  await writeFileAtomic(file, JSON.stringify({ ...config, backend: tf.getBackend() }, null, 2));
}

/** Adds the `metrics.jsonl` writer (rewritten whole each epoch, so a resume stays consistent). */
function withMetricsFile(
  out: string | undefined,
  callbacks: TrainerCallbacks = {},
): TrainerCallbacks {
  if (!out) return callbacks;
  const history: EpochMetrics[] = [];
  return {
    ...callbacks,
    async onEpochEnd(metrics) {
      history.push(metrics);
      const previous = await readMetrics(out);
      const merged = [...previous.filter((m) => m.epoch < history[0].epoch), ...history];
      await writeFileAtomic(
        path.join(out, 'metrics.jsonl'),
        merged.map((m) => JSON.stringify(m)).join('\n') + '\n',
      );
      return callbacks.onEpochEnd?.(metrics);
    },
  };
}

/** The epoch metrics of a run folder (empty when it has none yet). */
export async function readMetrics(out: string): Promise<EpochMetrics[]> {
  const text = await fs.readFile(path.join(out, 'metrics.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EpochMetrics);
}

/** The result of a finished run folder, or undefined when it has not finished. */
export async function readResult(out: string): Promise<RunResult | undefined> {
  const file = path.join(out, 'result.json');
  return (await pathExists(file)) ? readJson<RunResult>(file) : undefined;
}

/** The config of a run folder. */
export async function readRunConfig(out: string): Promise<RunConfig> {
  return readJson<RunConfig>(path.join(out, 'config.json'));
}
