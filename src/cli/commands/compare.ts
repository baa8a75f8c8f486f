/** `reglab compare`: an experiment matrix (methods × seeds, optional transfer) and its table. */
import path from 'node:path';
import type { Command } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select.js';
import { ReglabError } from '../../core/errors.js';
import { warnOnce } from '../../core/spec.js';
import { compare, type CompareOptions, type CompareOutcome } from '../../lab/compare.js';
import {
  parseMethod,
  splitMethodList,
  type ExperimentConfig,
  type MethodSpec,
} from '../../lab/matrix.js';
import { readJson } from '../../core/fs.js';
import { queueExecutor, type QueueProgress } from '../../lab/queue/executor.js';
import {
  addBackendOption,
  addDataOptions,
  addTrainingOptions,
  positiveInt,
  positiveNumber,
  runConfigFromFlags,
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

/** The config-file form: methods as strings or objects, seeds as a count or a list. */
interface ExperimentFile extends Omit<ExperimentConfig, 'methods' | 'seeds'> {
  methods: (string | MethodSpec)[];
  seeds: number | number[];
}

function seedList(seeds: number | number[]): number[] {
  return Array.isArray(seeds) ? seeds : Array.from({ length: seeds }, (_, i) => i + 1);
}

function methodsFrom(list: (string | MethodSpec)[]): MethodSpec[] {
  return list.flatMap((m) => (typeof m === 'string' ? parseMethod(m) : [m]));
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

/** Builds the experiment from `--config` or from the flags. */
export async function experimentFromFlags(flags: CompareFlags): Promise<ExperimentConfig> {
  if (flags.config) {
    const file = await readJson<ExperimentFile>(flags.config);
    if (!file.base || !file.methods || file.seeds === undefined) {
      throw new ReglabError(
        `${flags.config} needs "base", "methods" and "seeds"`,
        'see docs/lab.md for the experiment file format',
      );
    }
    return { ...file, methods: methodsFrom(file.methods), seeds: seedList(file.seeds) };
  }
  const { regs: _regs, seed: _seed, ...base } = runConfigFromFlags(flags);
  return {
    base,
    methods: methodsFrom(methodTexts(flags)),
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
): Promise<CompareOutcome> {
  const chosen = await selectBackend(flags.backend as BackendName, { log: print });
  // On a queue, `auto` could pick different backends on different machines: fix it here.
  const backend = (flags.queue ? chosen : flags.backend) as BackendName;
  const experiment = await experimentFromFlags(flags);
  const out = flags.out ?? path.join('runs', `compare-${experiment.base.dataset}`);
  print(`experiment folder: ${out}`);
  if (flags.queue && flags.workers !== undefined)
    throw new ReglabError(
      '--workers sets how many runs train on this machine, but --queue sends them to the queue',
      'drop --workers; start `reglab worker --queue URL --concurrency N` on each machine instead',
    );
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
  addTrainingOptions(command);
  addBackendOption(command);
  command
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
    .option(
      '--config <file>',
      'experiment file (JSON: base, methods, seeds, transfer) instead of the flags',
    )
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
    )
    .action((flags: CompareFlags) => compareAction(flags).then(() => undefined));
}
