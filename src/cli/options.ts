/**
 * Flags shared by the commands that train (`train`, `compare`, `demo`, `pretrain`), and their
 * conversion into a {@link RunConfig}. One definition, so every command spells them the same.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../backend/select.js';
import { ACTIVATIONS, type ActivationName } from '../models/zoo.js';
import { DATASET_NAMES } from '../data/registry.js';
import { SAMPLINGS, TEST_SETS } from '../data/raw.js';
import { type RunConfig } from '../lab/run-config.js';
import { ReglabError } from '../core/errors.js';
import { initArchitecture, RUN_CONFIG_FIELDS, RUN_DEFAULTS } from '../lab/run-config.js';
import type { Registries } from '../registry.js';
import { numberRange, readNumber, type NumberOption } from '../core/spec.js';

/**
 * A commander parser for a number flag in the range of `schema` (core/spec.ts
 * {@link readNumber}, the one range check): commander's message names the flag and the value,
 * this adds the accepted range, e.g. `option '--seed <n>' argument 'abc' is invalid. "abc" is
 * not an integer ≥ 0.`
 */
export function numberFlag(schema: Omit<NumberOption, 'type'>): (value: string) => number {
  return (value) => {
    const n = readNumber(value, schema);
    if (n === undefined)
      throw new InvalidArgumentError(`"${value}" is not ${numberRange(schema)}.`);
    return n;
  };
}

/** Parses a positive integer flag value. */
export const positiveInt = numberFlag({ integer: true, min: 1 });

/** Parses a finite positive number. */
export const positiveNumber = numberFlag({ above: 0 });

/**
 * A commander parser from a library parser (`reverseStart`, a spec parser): its ReglabError
 * becomes commander's message, which names the flag and the value.
 */
export function flagParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof ReglabError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

/** Parses `--seed` (every command that draws: train, compare, pretrain). */
export const seedFlag = numberFlag(RUN_CONFIG_FIELDS.seed);

/** Parses a path flag (`--out`, `--run`, `--data-dir`, …): any text but the empty one. */
export function pathFlag(value: string): string {
  if (value.trim() === '')
    throw new InvalidArgumentError('the path is empty; name a folder (or leave the flag out).');
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `--backend`. */
export function addBackendOption(command: Command): Command {
  return command.addOption(
    new Option('--backend <name>', 'TF.js backend')
      .choices(BACKEND_NAMES as unknown as string[])
      .default('auto'),
  );
}

/** Adds the data flags. */
export function addDataOptions(
  command: Command,
  defaults: { dataset?: string; trainSize?: number } = {},
): Command {
  return command
    .addOption(
      new Option('--dataset <name>', 'data set')
        .choices(DATASET_NAMES as unknown as string[])
        .default(defaults.dataset ?? 'mnist'),
    )
    .option(
      '--data-dir <dir>',
      'folder with the data files (fashion-mnist, kmnist, cifar10, folder)',
      pathFlag,
    )
    .option(
      '--train-size <n>',
      'use the first N training samples',
      numberFlag(RUN_CONFIG_FIELDS.trainSize),
      defaults.trainSize,
    )
    .option(
      '--test-size <n>',
      'use the first N test samples',
      numberFlag(RUN_CONFIG_FIELDS.testSize),
    )
    .addOption(
      new Option('--sampling <how>', 'how --train-size/--test-size pick samples')
        .choices(SAMPLINGS as unknown as string[])
        .default('first'),
    )
    .addOption(
      new Option(
        '--test-set <which>',
        'test split: test (the default: the test images) or test+rest (they plus the training images --train-size leaves out)',
      ).choices(TEST_SETS as unknown as string[]),
    )
    .option('--raw-pixels', 'keep pixel values 0–255 instead of scaling to [0, 1]')
    .option(
      '--transfer <variant>',
      'transfer variant of the images: rotate:DEG, thicken:R (comma-separated)',
    )
    .option(
      '--bptt <n>',
      'text sets (ptb, wikitext2, grammar): window length of truncated BPTT (default 35)',
      positiveInt,
    );
}

/** Adds the model, optimizer and regularization flags. */
export function addTrainingOptions(
  command: Command,
  defaults: { model?: string; epochs?: number; seed?: false } = {},
): Command {
  command
    .option(
      '--model <spec>',
      `linear | mlp:256,256 | cnn | cnn-bn | path/to/model.json (default ${RUN_DEFAULTS.model}, or the --init run's model)`,
      defaults.model,
    )
    .addOption(
      new Option(
        '--activation <name>',
        `hidden activation (default ${RUN_DEFAULTS.activation}, or the --init run's)`,
      ).choices(ACTIVATIONS as unknown as string[]),
    )
    .option('--batch-norm', 'batch normalisation after every hidden weight layer')
    .option(
      '--init <run>',
      "initialise the weights from a run folder (transfer, pretraining); without --model, the model is built as that run's",
      pathFlag,
    )
    .option(
      '--epochs <n>',
      'epochs',
      numberFlag(RUN_CONFIG_FIELDS.epochs),
      defaults.epochs ?? RUN_DEFAULTS.epochs,
    )
    .option(
      '--batch-size <n>',
      'batch size',
      numberFlag(RUN_CONFIG_FIELDS.batchSize),
      RUN_DEFAULTS.batchSize,
    )
    .option(
      '--eval-every <n>',
      'evaluate the test set every N epochs and after the last (default 1)',
      numberFlag(RUN_CONFIG_FIELDS.evalEvery),
    )
    .option(
      '--optimizer <spec>',
      'sgd | momentum | adam | rmsprop | cola-ud:h=…:gamma=…:tau=… | cola-od:h=…:tau=… (listed below)',
      RUN_DEFAULTS.optimizer,
    )
    .option(
      '--lr <x>',
      'learning rate of sgd, momentum, adam, rmsprop (default 1e-3; the Langevin optimizers take h= in their spec)',
      numberFlag(RUN_CONFIG_FIELDS.lr),
    )
    .option(
      '--momentum <x>',
      'momentum of the momentum optimizer (default 0.9)',
      numberFlag(RUN_CONFIG_FIELDS.momentum),
    )
    .option(
      '--constraint <spec>',
      'weight constraint for constrained optimizers, e.g. circle:0.05@dense_1 (repeatable)',
      collect,
      [],
    )
    .option(
      '--reg <spec>',
      'regularization term, e.g. racecar:1e-5, ort:0.1, per:1e-4 (repeatable)',
      collect,
      [],
    )
    .option('--track <monitor>', 'per-epoch monitor, e.g. activations (repeatable)', collect, [])
    .option(
      '--track-activations',
      'track per-layer activation mean, variance and sliced W1 (= --track activations)',
    );
  return defaults.seed === false
    ? command
    : command.option('--seed <n>', 'seed of every random draw', seedFlag, RUN_DEFAULTS.seed);
}

/** The long names of the flags written on the command line (not defaults), e.g. `--epochs`. */
export function flagsGiven(command: Command): string[] {
  return command.options
    .filter((option) => command.getOptionValueSource(option.attributeName()) === 'cli')
    .map((option) => option.long ?? option.flags);
}

/** The run-config fields that have a flag of the same name. */
const RUN_FLAG_KEYS = [
  'dataset',
  'dataDir',
  'trainSize',
  'testSize',
  'sampling',
  'testSet',
  'rawPixels',
  'transfer',
  'model',
  'activation',
  'batchNorm',
  'init',
  'epochs',
  'batchSize',
  'evalEvery',
  'optimizer',
  'lr',
  'momentum',
  'seed',
  'bptt',
] as const satisfies readonly (keyof RunConfig)[];

/**
 * The flag values commander hands to an action: the run config's fields of the same name,
 * plus the repeatable flags (singular names) and the backend.
 */
export interface TrainingFlags extends Omit<
  Pick<RunConfig, (typeof RUN_FLAG_KEYS)[number]>,
  'model'
> {
  /** Unset: {@link RUN_DEFAULTS}' model, or with `--init` that run's (see {@link withInitArchitecture}). */
  model?: string;
  activation?: ActivationName;
  constraint: string[];
  reg: string[];
  track: string[];
  trackActivations?: boolean;
  backend: BackendName;
}

/** Converts flags into a run config (other keys a command adds, like `--out`, stay out). */
export function runConfigFromFlags(flags: TrainingFlags): RunConfig {
  const track =
    flags.trackActivations && !flags.track.includes('activations')
      ? [...flags.track, 'activations']
      : flags.track;
  const shared = Object.fromEntries(RUN_FLAG_KEYS.map((key) => [key, flags[key]])) as Pick<
    RunConfig,
    (typeof RUN_FLAG_KEYS)[number]
  >;
  return {
    ...shared,
    model: flags.model ?? RUN_DEFAULTS.model,
    activation: flags.activation ?? RUN_DEFAULTS.activation,
    constraints: flags.constraint,
    regs: flags.reg,
    track,
  };
}

/**
 * `--init DIR` without `--model`: the flags with the model (and, unless given, the activation
 * and batch norm) of the run DIR, so the weights fit the model they are copied into. Says so.
 */
export async function withInitArchitecture<F extends TrainingFlags>(
  flags: F,
  print: (line: string) => void,
): Promise<F> {
  if (flags.model !== undefined || flags.init === undefined) return flags;
  const architecture = await initArchitecture(flags.init);
  const resolved = {
    ...flags,
    model: architecture.model,
    activation: flags.activation ?? architecture.activation,
    batchNorm: flags.batchNorm ?? architecture.batchNorm,
  };
  print(
    `--init ${flags.init} without --model: building its model ${resolved.model}` +
      (resolved.activation ? ` (activation ${resolved.activation})` : ''),
  );
  return resolved;
}

/** The `--help` text listing every term, monitor and optimizer spec. */
export function registryHelp(registries: Registries): string {
  const section = (title: string, lines: string[]) => `\n${title}:\n  ${lines.join('\n  ')}\n`;
  return (
    section('Regularization terms (--reg, repeatable)', registries.terms.usage()) +
    section('Monitors (--track, repeatable)', registries.monitors.usage()) +
    section('Optimizers (--optimizer)', registries.optimizers.usage()) +
    "\nSpecs: name(:word | :key=value | :number)*(@target,…); a term's number is its weight λ.\n"
  );
}
