/**
 * What defines a run: {@link RunConfig} (what `config.json` holds), its defaults, its canonical
 * form (every spec printed canonically, see core/spec.ts) and the data it names.
 */
import path from 'node:path';
import { check, ReglabError } from '../core/errors.js';
import { readJson } from '../core/fs.js';
import { numberRange, readNumber, specName, type OptionSchema } from '../core/spec.js';
import { DATASET_NAMES, loadDataset, type DatasetSpec } from '../data/registry.js';
import type { DataSplit } from '../data/dataset.js';
import { SAMPLINGS, TEST_SETS, type Sampling, type TestSet } from '../data/raw.js';
import { ACTIVATIONS, type ActivationName } from '../models/zoo.js';
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
  model: 'mlp:256,256',
  activation: 'relu',
} as const;

/**
 * The architecture of the run or pretrain folder `init` (the `model`, `activation` and
 * `batchNorm` of its config.json; a model.json path is its own architecture), for `--init DIR`
 * without `--model`: the model is built as the one the weights come from.
 * @throws ReglabError when the folder has no readable config.json naming a model.
 */
export async function initArchitecture(
  init: string,
): Promise<Pick<RunConfig, 'model' | 'activation' | 'batchNorm'>> {
  if (init.endsWith('.json')) return { model: init };
  const file = path.join(init, 'config.json');
  const stored = await readJson<Record<string, unknown>>(file);
  check(
    typeof stored === 'object' && stored !== null && typeof stored.model === 'string',
    `${file} names no model, so --init cannot tell what to build`,
    'pass --model with the widths of the run you initialise from',
  );
  const activation = stored.activation as ActivationName | undefined;
  check(
    activation === undefined || ACTIVATIONS.includes(activation),
    `${file}: activation ${String(activation)} is not one of ${ACTIVATIONS.join(', ')}`,
    'pass --model and --activation',
  );
  return {
    model: stored.model,
    ...(activation ? { activation } : {}),
    ...(stored.batchNorm === true ? { batchNorm: true } : {}),
  };
}

/** A field of a run config: a spec-grammar option (core/spec.ts), or a list of spec texts. */
export type RunFieldSchema = (OptionSchema | { readonly type: 'texts' }) & {
  /** The CLI flag that sets it, for messages. */
  readonly flag?: string;
};

const positiveInt = { type: 'number', integer: true, min: 1 } as const;
const text = { type: 'text' } as const;
const texts = { type: 'texts' } as const;

/**
 * Every field of a {@link RunConfig}, its type and range: the one table the CLI's flags
 * (cli/options.ts), `compare --config` files and {@link checkRunConfig} read, so a value is
 * accepted or refused the same way wherever it comes from.
 */
export const RUN_CONFIG_FIELDS = {
  dataset: { type: 'choice', values: DATASET_NAMES, flag: '--dataset' },
  dataDir: { ...text, flag: '--data-dir' },
  trainSize: { ...positiveInt, flag: '--train-size' },
  bptt: { ...positiveInt, flag: '--bptt' },
  testSize: { ...positiveInt, flag: '--test-size' },
  sampling: { type: 'choice', values: SAMPLINGS, flag: '--sampling' },
  testSet: { type: 'choice', values: TEST_SETS, flag: '--test-set' },
  rawPixels: { type: 'flag', flag: '--raw-pixels' },
  transfer: { ...text, flag: '--transfer' },
  model: { ...text, flag: '--model' },
  activation: { type: 'choice', values: ACTIVATIONS, flag: '--activation' },
  batchNorm: { type: 'flag', flag: '--batch-norm' },
  init: { ...text, flag: '--init' },
  epochs: { ...positiveInt, flag: '--epochs' },
  batchSize: { ...positiveInt, flag: '--batch-size' },
  optimizer: { ...text, flag: '--optimizer' },
  lr: { type: 'number', above: 0, flag: '--lr' },
  momentum: { type: 'number', min: 0, max: 1, flag: '--momentum' },
  constraints: { ...texts, flag: '--constraint' },
  regs: { ...texts, flag: '--reg' },
  track: { ...texts, flag: '--track' },
  seed: { type: 'number', integer: true, min: 0, flag: '--seed' },
  monitorSamples: positiveInt,
  evalEvery: { ...positiveInt, flag: '--eval-every' },
} as const satisfies Record<keyof RunConfig, RunFieldSchema>;

/** The fields a run config must have. */
export const REQUIRED_RUN_FIELDS = [
  'dataset',
  'model',
  'epochs',
  'batchSize',
  'optimizer',
  'seed',
] as const satisfies readonly (keyof RunConfig)[];

/** Why `value` does not fit `field`, or undefined when it does. */
function fieldProblem(value: unknown, field: RunFieldSchema): string | undefined {
  switch (field.type) {
    case 'number':
      return readNumber(value, field) === undefined ? `not ${numberRange(field)}` : undefined;
    case 'choice':
      return typeof value === 'string' && field.values.includes(value)
        ? undefined
        : `not one of ${field.values.join(', ')}`;
    case 'flag':
      return typeof value === 'boolean' ? undefined : 'not true or false';
    case 'text':
      return typeof value === 'string' && value.trim() !== '' ? undefined : 'not a non-empty text';
    case 'texts':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.trim() !== '')
        ? undefined
        : 'not a list of texts';
    case 'numbers':
      return 'not supported';
  }
}

/**
 * Checks that `value` is a run config: an object with only {@link RUN_CONFIG_FIELDS}, each of
 * its type and in its range, and the {@link REQUIRED_RUN_FIELDS} (`required` overrides them).
 * `source` names where it came from in messages (`experiment.json base`). This is the
 * validation entry point for configs that do not come through the CLI's flags (config files,
 * library callers); {@link canonicalRunConfig} calls it first.
 * @param exclude Fields that are not accepted here, with the reason (e.g. `seed` in an
 *   experiment's base: the experiment's `seeds` set it).
 * @throws ReglabError naming the field, the value and the accepted range.
 */
export function checkRunConfig(
  value: unknown,
  source = 'run config',
  options: {
    required?: readonly string[];
    exclude?: Readonly<Record<string, string>>;
  } = {},
): asserts value is RunConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ReglabError(`${source} is not an object`, 'write it as {"dataset": …, "model": …}');
  const record = value as Record<string, unknown>;
  const exclude = options.exclude ?? {};
  const accepted = Object.keys(RUN_CONFIG_FIELDS).filter((key) => !(key in exclude));
  for (const [key, v] of Object.entries(record)) {
    if (key in exclude) throw new ReglabError(`${source} sets "${key}"`, exclude[key]);
    const field = (RUN_CONFIG_FIELDS as Record<string, RunFieldSchema>)[key];
    if (!field)
      throw new ReglabError(
        `${source} has an unknown field "${key}"`,
        `the fields are ${accepted.join(', ')}`,
      );
    if (v === undefined) continue;
    const problem = fieldProblem(v, field);
    if (problem)
      throw new ReglabError(
        `${source}: ${key} ${JSON.stringify(v)}${field.flag ? ` (${field.flag})` : ''} is ${problem}`,
        `fix "${key}" in ${source}`,
      );
  }
  const missing = (options.required ?? REQUIRED_RUN_FIELDS).filter(
    (key) => record[key] === undefined,
  );
  if (missing.length > 0)
    throw new ReglabError(
      `${source} has no ${missing.join(', ')}`,
      `add ${missing.map((key) => `"${key}"`).join(', ')}`,
    );
}

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
  checkRunConfig(config);
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
  return loadDataset(runDataSpec(config));
}

/** What the data of a run depends on: the fields of its config that {@link loadRunData} reads. */
export function runDataSpec(config: RunConfig): DatasetSpec {
  return {
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
  };
}
