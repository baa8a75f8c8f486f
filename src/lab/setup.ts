/**
 * The objects a run config names, built the one way every front end builds them — `trainRun`
 * (the CLI) and the browser lab (web/): the model options, the optimizer, the terms and the
 * monitors, from one generator per purpose derived from the seed alone. So the same seed gives
 * every method the same initial weights and batch order whatever the method draws (paired
 * comparisons), and the lab's run with a seed is the CLI's run with that seed.
 *
 * Pure: no file access, so the browser bundle can import it.
 */
import type { Random } from '../core/random.js';
import type { DataSplit } from '../data/dataset.js';
import type { ModelOptions } from '../models/zoo.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Trainer, type TrainerCallbacks } from '../train/trainer.js';
import type { Registries } from '../registry.js';
import type { RunConfig } from './run-config.js';

/** The zoo options of a config's model; `initRng` is the run generator's `init` stream. */
export function runModelOptions(config: RunConfig, data: DataSplit, initRng: Random): ModelOptions {
  return {
    inputShape: data.train.sampleShape,
    numClasses: data.train.numClasses,
    rng: initRng,
    activation: config.activation,
    batchNorm: config.batchNorm,
  };
}

/**
 * The trainer of a canonical config for `model` (built from {@link runModelOptions} with
 * `rng.derive('init')`): the optimizer, terms and monitors its specs name, created from
 * `registries`; `rng` is the run generator `new Random(config.seed)`.
 */
export function runTrainer(
  config: RunConfig,
  model: tfl.LayersModel,
  rng: Random,
  registries: Registries,
  callbacks?: TrainerCallbacks,
): Trainer {
  const context = { rng: rng.derive('setup') };
  return new Trainer({
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
    callbacks,
  });
}
