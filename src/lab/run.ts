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
 * Order: {@link prepareRun} builds and checks everything — config, data, model (and `--init`),
 * optimizer and constraints, terms, monitors, one dry forward pass through the terms — before
 * any file is written; only then does lab/run-folder.ts lock and claim the folder. Each epoch's
 * commit point is the checkpoint (train/checkpoint.ts); `metrics.jsonl` is rewritten whole from
 * the trainer's history after it, and rebuilt from the checkpoint when a run resumes.
 *
 * `reglab train`, `reglab compare` and `reglab demo` all go through {@link trainRun}.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { DataSplit } from '../data/dataset.js';
import { builtinRegistries, type Registries } from '../registry.js';
import { canonicalRunConfig, loadRunData, type RunConfig, type RunResult } from './run-config.js';
import { openRunForWriting, writeMetrics, writeResult } from './run-folder.js';
import { crashPoint } from '../core/fs.js';
import { Trainer, type TrainerCallbacks } from '../train/trainer.js';
import { fileSystemHandler } from '../models/io.js';
import { loadModel } from '../models/io.js';
import { createModel } from '../models/io.js';

export interface RunHooks {
  /** Receives progress lines. */
  log?: (line: string) => void;
  /** Extra trainer callbacks (progress bars, snapshots). */
  callbacks?: TrainerCallbacks;
  /** Data already loaded for this config (compare shares one load across runs). */
  data?: DataSplit;
  /** Called with the trainer once it exists (snapshots need the model). */
  onTrainer?: (trainer: Trainer, data: DataSplit) => void;
  /** The factories specs are built from (default {@link builtinRegistries}). */
  registries?: Registries;
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

/** A run built and checked, with nothing written yet ({@link prepareRun}). */
export interface PreparedRun {
  /** The canonical config. */
  config: RunConfig;
  data: DataSplit;
  trainer: Trainer;
}

/**
 * Builds everything a run needs — canonical config, data, model (with `--init`), optimizer
 * (constraint rules checked against the model), terms, monitors — and runs one dry forward pass
 * through the terms, writing nothing: whatever can fail before training fails here, before a
 * run folder is touched.
 */
export async function prepareRun(config: RunConfig, hooks: RunHooks = {}): Promise<PreparedRun> {
  const registries = hooks.registries ?? builtinRegistries();
  config = canonicalRunConfig(config, registries);
  const rng = new Random(config.seed);
  const data = hooks.data ?? loadRunData(config);
  // Streams by purpose, derived from the seed alone: the same seed gives every method the same
  // initial weights and batch order, whatever the method draws (paired comparisons).
  const model = await initialModel(config, data, rng.derive('init'));
  try {
    const context = { rng: rng.derive('setup') };
    const trainer = new Trainer({
      model,
      optimizer: registries.optimizers.create(config.optimizer, {
        learningRate: config.lr,
        momentum: config.momentum,
        constraints: config.constraints ?? [],
        model,
        rng: rng.derive('optimizer'),
      }),
      terms: (config.regs ?? []).map((spec) => registries.terms.create(spec, context)),
      monitors: (config.track ?? []).map((spec) => registries.monitors.create(spec, context)),
      rng,
    });
    trainer.dryRun(data.train);
    return { config, data, trainer };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Trains the run a config describes; writes the run folder when `out` is given. */
export async function trainRun(
  config: RunConfig,
  out?: string,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const started = performance.now();
  const prepared = await prepareRun(config, hooks);
  const { trainer, data } = prepared;
  config = prepared.config;
  const model = trainer.model;
  const writer = out ? await openRunForWriting(out, config, hooks.log) : undefined;
  try {
    trainer.addCallbacks(withMetricsFile(out, trainer, hooks.callbacks));
    hooks.onTrainer?.(trainer, data);
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
      await writeResult(out, result);
    }
    return result;
  } finally {
    model.dispose();
    trainer.optimizer.dispose();
    await writer?.release();
  }
}

/**
 * Writes `metrics.jsonl` after each epoch's checkpoint: the trainer's whole history (which a
 * resumed trainer restored from the checkpoint), so the file is always the checkpoint's view.
 */
function withMetricsFile(
  out: string | undefined,
  trainer: Trainer,
  callbacks: TrainerCallbacks = {},
): TrainerCallbacks {
  if (!out) return callbacks;
  return {
    ...callbacks,
    async onEpochEnd(metrics) {
      await writeMetrics(out, trainer.history);
      crashPoint('metrics:written');
      return callbacks.onEpochEnd?.(metrics);
    },
  };
}
