/**
 * What defines a run: {@link RunConfig} (what `config.json` holds), its defaults, its canonical
 * form (every spec printed canonically, see core/spec.ts) and the data it names.
 */
import { ReglabError } from '../core/errors.js';
import { specName } from '../core/spec.js';
import { loadDataset } from '../data/registry.js';
import type { DataSplit } from '../data/dataset.js';
import type { Sampling, TestSet } from '../data/raw.js';
import type { ActivationName } from '../models/zoo.js';
import { OPTIMIZER_DEFAULTS, readsLearningRate, readsMomentum } from '../train/optimizers.js';
import type { EpochMetrics } from '../train/trainer.js';
import { builtinRegistries, type Registries } from '../registry.js';

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
  /** Optimizer spec, e.g. `adam`, `cola-ud:h=0.3:gamma=1:tau=0`. */
  optimizer: string;
  /** Learning rate of the TF.js optimizers (default 1e-3); the Langevin ones take theirs from the spec. */
  lr?: number;
  /** Momentum of the `momentum` optimizer (default 0.9). */
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
  /** Text sets: the window length of truncated BPTT (default 35; data/text.ts). */
  bptt?: number;
}

/** What a finished run reports (`result.json`). */
export interface RunResult {
  testLoss: number;
  testAccuracy: number;
  trainAccuracy: number;
  /** Text sets: exp(testLoss), the test perplexity. */
  testPerplexity?: number;
  epochs: number;
  seconds: number;
  backend: string;
  history: EpochMetrics[];
}

/** Default values of optional config fields. */
export const RUN_DEFAULTS = {
  batchSize: 128,
  optimizer: 'adam',
  epochs: 5,
  seed: 1,
} as const;

/**
 * The canonical form of a config, the one `config.json` stores: every spec printed canonically
 * (core/spec.ts), the learning rate filled in for the TF.js optimizers and the momentum for
 * `momentum`. Two configs describe the same run exactly when their canonical forms are equal.
 * @throws ReglabError for a bad spec, or a learning rate / momentum the optimizer would ignore.
 */
export function canonicalRunConfig(
  config: RunConfig,
  registries: Registries = builtinRegistries(),
): RunConfig {
  const optimizer = registries.optimizers.canonical(config.optimizer);
  const name = specName(optimizer);
  const lr = readsLearningRate(name) ? (config.lr ?? OPTIMIZER_DEFAULTS.learningRate) : undefined;
  const momentum = readsMomentum(name)
    ? (config.momentum ?? OPTIMIZER_DEFAULTS.momentum)
    : undefined;
  if (config.lr !== undefined && lr === undefined)
    throw new ReglabError(
      `the optimizer ${name} takes no learning rate (lr ${config.lr} was given)`,
      `${name} takes its step from its spec, e.g. cola-ud:h=0.3:gamma=1:tau=0; drop the learning rate`,
    );
  if (config.momentum !== undefined && momentum === undefined)
    throw new ReglabError(
      `the optimizer ${name} takes no momentum (momentum ${config.momentum} was given)`,
      'drop the momentum, or use the momentum optimizer',
    );
  const canonical: RunConfig = {
    ...config,
    optimizer,
    lr,
    momentum,
    regs: (config.regs ?? []).map((spec) => registries.terms.canonical(spec)),
    track: (config.track ?? []).map((spec) => registries.monitors.canonical(spec)),
  };
  return JSON.parse(JSON.stringify(canonical)) as RunConfig; // drops undefined fields
}

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
    streams: config.batchSize,
    bptt: config.bptt,
  });
}
