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
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../core/random.js';
import type { DataSplit } from '../data/dataset.js';
import { builtinRegistries, type Registries } from '../registry.js';
import { canonicalRunConfig, loadRunData, type RunConfig, type RunResult } from './run-config.js';
import { readMetrics, writeMetrics, writeResult, writeRunConfig } from './run-folder.js';
import { Trainer, type EpochMetrics, type TrainerCallbacks } from '../train/trainer.js';
import { copyWeightsFrom, createModel, fileSystemHandler } from '../models/io.js';

export { copyWeightsFrom } from '../models/io.js';

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
  log: (line: string) => void = () => {},
): Promise<tfl.LayersModel> {
  const model = await createModel(config.model, {
    inputShape: data.train.sampleShape,
    numClasses: data.train.numClasses,
    rng,
    activation: config.activation,
    batchNorm: config.batchNorm,
  });
  if (config.init) {
    const { copied, kept } = await copyWeightsFrom(model, config.init);
    log(
      `--init ${config.init}: copied ${copied.join(', ')}` +
        (kept.length > 0 ? `; initial weights kept for ${kept.join(', ')}` : ''),
    );
  }
  return model;
}

/** Trains the run a config describes; writes the run folder when `out` is given. */
export async function trainRun(
  config: RunConfig,
  out?: string,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const started = performance.now();
  const registries = hooks.registries ?? builtinRegistries();
  config = canonicalRunConfig(config, registries);
  const rng = new Random(config.seed);
  const data = hooks.data ?? loadRunData(config);
  // Streams by purpose, derived from the seed alone: the same seed gives every method the same
  // initial weights and batch order, whatever the method draws (paired comparisons).
  const model = await initialModel(config, data, rng.derive('init'), hooks.log);
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
    await writeResult(out, result);
  }
  model.dispose();
  return result;
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
      await writeMetrics(out, merged);
      return callbacks.onEpochEnd?.(metrics);
    },
  };
}
