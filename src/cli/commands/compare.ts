/** `reglab compare`: an experiment matrix (methods × seeds, optional transfer) and its table. */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select.js';
import { ReglabError } from '../../core/errors.js';
import { warnOnce } from '../../core/spec.js';
import { compare, type CompareOptions, type CompareOutcome } from '../../lab/compare.js';
import {
  parseExperimentFile,
  parseMethod,
  splitMethodList,
  type ExperimentConfig,
} from '../../lab/matrix.js';
import { checkOutputFolder, readJson } from '../../core/fs.js';
import { queueExecutor, type QueueProgress } from '../../lab/queue/executor.js';
import {
  addBackendOption,
  addDataOptions,
  addTrainingOptions,
  flagsGiven,
  pathFlag,
  positiveInt,
  positiveNumber,
  runConfigFromFlags,
  withInitArchitecture,
  type TrainingFlags,
} from '../options.js';

interface CompareFlags extends TrainingFlags {
  /** Repeated `--method`. */
  method: string[];
  /** Deprecated comma list. */
  methods?: string;
  seeds: number;
  transferEpochs: number;
  transferTo?: string;
  config?: string;
  out?: string;
  workers?: number;
  queue?: string;
  resultCap?: number;
}

function seedList(seeds: number): number[] {
  return Array.from({ length: seeds }, (_, i) => i + 1);
}

/** The method texts of the flags: repeated `--method`, or the deprecated `--methods a,b`. */
export function methodTexts(flags: Pick<CompareFlags, 'method' | 'methods'>): string[] {
  if (flags.methods !== undefined) {
    if (flags.method.length > 0)
      throw new ReglabError(
        'both --method and --methods were given',
        'repeat --method for each method',
      );
    const list = splitMethodList(flags.methods);
    warnOnce(`--methods is deprecated: write ${list.map((m) => `--method ${m}`).join(' ')}`);
    return list;
  }
  return flags.method.length > 0 ? flags.method : [...DEFAULT_METHODS];
}

/** The methods `compare` runs when none are given. */
export const DEFAULT_METHODS = ['std', 'ort:0.1', 'racecar:1e-5'] as const;

/** The flags that still apply with `--config` (the file holds the rest). */
const FLAGS_WITH_CONFIG = ['--config', '--out', '--workers', '--backend'];

/**
 * Builds the experiment from `--config` (lab/matrix.ts `parseExperimentFile`) or from the
 * flags. `given` lists the flags written on the command line: with `--config`, any other than
 * {@link FLAGS_WITH_CONFIG} is an error (it would be silently ignored).
 */
export async function experimentFromFlags(
  flags: CompareFlags,
  given: readonly string[] = [],
  print: (line: string) => void = () => {},
): Promise<ExperimentConfig> {
  if (flags.config) {
    const ignored = given.filter((flag) => !FLAGS_WITH_CONFIG.includes(flag));
    if (ignored.length > 0)
      throw new ReglabError(
        `--config ${flags.config} holds the whole experiment, so ${ignored.join(', ')} would be ignored`,
        `put them in the file (docs/lab.md) or drop --config; with --config only ${FLAGS_WITH_CONFIG.slice(1).join(', ')} apply`,
      );
    return parseExperimentFile(await readJson<unknown>(flags.config), flags.config);
  }
  flags = await withInitArchitecture(flags, print);
  const { regs: _regs, seed: _seed, ...base } = runConfigFromFlags(flags);
  return {
    base,
    methods: methodTexts(flags).flatMap(parseMethod),
    seeds: seedList(flags.seeds),
    transfer: flags.transferTo
      ? { variant: flags.transferTo, epochs: flags.transferEpochs }
      : undefined,
  };
}

/**
 * Runs an experiment and prints its table; failed runs set exit code 1 with how to retry them
 * (`again`: the command to run again). Shared by `compare` and `demo`.
 */
export async function runAndPrint(
  experiment: ExperimentConfig,
  options: Omit<CompareOptions, 'log'>,
  print: (line: string) => void,
  again: string,
): Promise<CompareOutcome> {
  const outcome = await compare(experiment, { ...options, log: print });
  print('');
  print(outcome.table.markdown);
  if (outcome.failed.length > 0) {
    print(
      `\n${outcome.failed.length} run(s) failed; ${again} to retry them (finished runs are kept).`,
    );
    process.exitCode = 1;
  }
  return outcome;
}

/** The `compare` action, exported for tests. */
export async function compareAction(
  flags: CompareFlags,
  print: (line: string) => void = console.log,
  given: readonly string[] = [],
): Promise<CompareOutcome> {
  const experiment = await experimentFromFlags(flags, given, print);
  const out = flags.out ?? path.join('runs', `compare-${experiment.base.dataset}`);
  if (flags.queue && flags.workers !== undefined)
    throw new ReglabError(
      '--workers sets how many runs train on this machine, but --queue sends them to the queue',
      'drop --workers; start `reglab worker --queue URL --concurrency N` on each machine instead',
    );
  await checkOutputFolder(out);
  const chosen = await selectBackend(flags.backend as BackendName, { log: print });
  // On a queue, `auto` could pick different backends on different machines: fix it here.
  const backend = (flags.queue ? chosen : flags.backend) as BackendName;
  print(`experiment folder: ${out}`);
  const executor = flags.queue
    ? queueExecutor({
        url: flags.queue,
        resultCap: flags.resultCap && flags.resultCap * 2 ** 20,
        onProgress: (progress) => print(formatQueueProgress(progress)),
      })
    : undefined;
  const options = { out, backend, workers: flags.workers, executor };
  return runAndPrint(experiment, options, print, 'run the same command again');
}

/** One line: the queued cells by state, then per worker. */
export function formatQueueProgress(p: QueueProgress): string {
  const workers = p.workers.map((w) => `${w.name} ${w.running} running ${w.done} done`);
  return `queue: ${p.done}/${p.total} done, ${p.running} running, ${p.waiting} waiting, ${p.failed} failed${workers.length ? ` | ${workers.join('; ')}` : ''}`;
}

/** Registers `reglab compare`. */
export function registerCompareCommand(program: Command): void {
  const command = program
    .command('compare')
    .description(
      'train methods × seeds (× λ grids, + transfer) in parallel and print mean ± std, 95% CI and paired tests',
    );
  addDataOptions(command, { trainSize: 1000 });
  addTrainingOptions(command, { seed: false });
  addBackendOption(command);
  command
    .addOption(
      new Option('--seed <n>', 'compare trains seeds 1..N (--seeds N)').hideHelp().argParser(() => {
        throw new InvalidArgumentError(
          'compare trains seeds 1..N: pass --seeds N (or a "seeds" list in --config).',
        );
      }),
    )
    .option(
      '--method <spec>',
      `a method, repeatable: std, a term spec (racecar:1e-5), a grid (per:1e-5|1e-4), a combination (per:1e-4+l2act:1e-5); default ${DEFAULT_METHODS.join(', ')}`,
      (value: string, previous: string[] = []) => [...previous, value],
      [],
    )
    .option('--methods <list>', 'deprecated: comma-separated methods (use repeated --method)')
    .option('--seeds <n>', 'seeds 1..N', positiveInt, 3)
    .option(
      '--transfer-to <variant>',
      'fine-tune every run on a transfer variant afterwards, e.g. rotate:45',
    )
    .option('--transfer-epochs <n>', 'epochs of the transfer fine-tune', positiveInt, 2)
    .option('--workers <n>', 'parallel runs (default: number of cores)', positiveInt)
    .option(
      '--queue <url>',
      'run the cells on `reglab worker`s through a Redis queue: redis://[:password@]host:port[/db] or rediss:// (TLS); see docs/lab.md "Many machines"',
    )
    .option(
      '--result-cap <MiB>',
      'with --queue: the most a cell may send back (its files together); default 64',
      positiveNumber,
    )
    .option(
      '--out <dir>',
      'experiment folder (default runs/compare-<dataset>); finished runs there are skipped',
      pathFlag,
    )
    .option(
      '--config <file>',
      'experiment file (JSON: base, methods, seeds, transfer) instead of the flags',
      pathFlag,
    )
    .action((flags: CompareFlags, self: Command) =>
      compareAction(flags, console.log, flagsGiven(self)).then(() => undefined),
    );
}
