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
import { RUN_DEFAULTS } from '../lab/run-config.js';
import type { Registries } from '../registry.js';

/** Parses a positive integer flag value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  return n;
}

/** Parses an integer flag value (≥ 0). */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 0.`);
  return n;
}

/** Parses a finite positive number. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive number.`);
  return n;
}

/** Parses a number in [0, 1]. */
export function unitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`"${value}" is not a number in [0, 1].`);
  return n;
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
    )
    .option('--train-size <n>', 'use the first N training samples', positiveInt, defaults.trainSize)
    .option('--test-size <n>', 'use the first N test samples', positiveInt)
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
  defaults: { model?: string; epochs?: number } = {},
): Command {
  return command
    .option(
      '--model <spec>',
      'linear | mlp:256,256 | cnn | cnn-bn | path/to/model.json',
      defaults.model ?? 'mlp:256,256',
    )
    .addOption(
      new Option('--activation <name>', 'hidden activation')
        .choices(ACTIVATIONS as unknown as string[])
        .default('relu'),
    )
    .option('--batch-norm', 'batch normalisation after every hidden weight layer')
    .option('--init <run>', 'initialise the weights from a run folder (transfer, pretraining)')
    .option('--epochs <n>', 'epochs', positiveInt, defaults.epochs ?? RUN_DEFAULTS.epochs)
    .option('--batch-size <n>', 'batch size', positiveInt, RUN_DEFAULTS.batchSize)
    .option(
      '--eval-every <n>',
      'evaluate the test set every N epochs and after the last (default 1)',
      positiveInt,
    )
    .option(
      '--optimizer <spec>',
      'sgd | momentum | adam | rmsprop | cola-ud:h=…:gamma=…:tau=… | cola-od:h=…:tau=… (listed below)',
      RUN_DEFAULTS.optimizer,
    )
    .option(
      '--lr <x>',
      'learning rate of sgd, momentum, adam, rmsprop (default 1e-3; the Langevin optimizers take h= in their spec)',
      positiveNumber,
    )
    .option('--momentum <x>', 'momentum of the momentum optimizer (default 0.9)', unitInterval)
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
    )
    .option('--seed <n>', 'seed of every random draw', nonNegativeInt, RUN_DEFAULTS.seed);
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
export interface TrainingFlags extends Pick<RunConfig, (typeof RUN_FLAG_KEYS)[number]> {
  activation: ActivationName;
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
  return { ...shared, constraints: flags.constraint, regs: flags.reg, track };
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
