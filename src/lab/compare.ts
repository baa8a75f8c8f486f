/**
 * Runs an experiment matrix in parallel child processes (one per core, each run
 * single-threaded), resumably: a cell whose folder holds `result.json` is skipped, a failed or
 * interrupted one is run again next time (resuming its checkpoint), and finished runs are never
 * lost. Ends with one results table: mean ± std, a 95% confidence interval and a paired
 * t-test against the baseline over seeds; saved as JSON, CSV and Markdown.
 *
 * Where the cells train is a {@link CellExecutor} (lab/executor.ts): by default
 * {@link localExecutor} below; `reglab compare --queue` passes the queue's (lab/queue/).
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName } from '../backend/select.js';
import { builtinRegistries, type Registries } from '../registry.js';
import { canonicalRunConfig, loadRunData, runDataSpec } from './run-config.js';
import { prepareRun } from './run.js';
import type { DataSplit } from '../data/dataset.js';
import { writeFileAtomic } from '../core/fs.js';
import { renderTable, type Table } from '../core/table.js';
import { expandMatrix, type ExperimentConfig, type RunCell } from './matrix.js';
import { resultsTable, type CellOutcome, type ResultsTable } from './results.js';
import type { WorkerReply, WorkerRequest } from './worker.js';
import { type RunResult } from './run-config.js';
import { claimExperimentFolder, readResult } from './run-folder.js';
import { lockFolder } from '../core/lock.js';
import { finishedOutcome, type CellExecutorFactory } from './executor.js';

export interface CompareOptions {
  /** Experiment folder: `experiment.json`, one folder per run, `results.*`. */
  out: string;
  backend: BackendName;
  /** Parallel runs (default: the number of cores). */
  workers?: number;
  log?: (line: string) => void;
  /** The factories specs are built from (default {@link builtinRegistries}). */
  registries?: Registries;
  /** Where the cells train (default {@link localExecutor}: child processes on this machine). */
  executor?: CellExecutorFactory;
}

export interface CompareOutcome {
  cells: CellOutcome[];
  table: ResultsTable;
  /** Cells that failed (their error) — run the same command again to retry them. */
  failed: CellOutcome[];
}

/**
 * The experiment with every method's term specs canonical (core/spec.ts), so `racecar:1e-5` and
 * `racecar:sum:1e-5` are one method, and every cell's config checked before any work starts.
 */
export function canonicalExperiment(
  experiment: ExperimentConfig,
  registries: Registries = builtinRegistries(),
): ExperimentConfig {
  const methods = experiment.methods.map((method) => {
    const regs = method.regs.map((spec) => registries.terms.canonical(spec));
    const relabel = method.label === method.regs.join('+') || method.label === 'std';
    return { ...method, regs, label: relabel ? regs.join('+') || 'std' : method.label };
  });
  const canonical = { ...experiment, methods };
  for (const cell of expandMatrix(canonical)) canonicalRunConfig(cell.config, registries);
  return JSON.parse(JSON.stringify(canonical)) as ExperimentConfig;
}

/**
 * Builds every method's terms, monitors and optimizer on its model and takes one dry step
 * (lab/run.ts `prepareRun`), one training cell per method, before any folder is written or any
 * cell is scheduled (on the active backend, else on `backend`): what only the model can tell (`@dens_1`, a layer that does not exist; a
 * constraint rule that matches nothing) fails here once, not in every worker. Transfer cells
 * start from their run's weights and are checked when their run is.
 */
async function checkMethodsOnTheirModels(
  cells: RunCell[],
  backend: BackendName,
  registries: Registries = builtinRegistries(),
): Promise<void> {
  // The CLI has selected the backend already; a library caller may not have any yet.
  if (!tf.engine().backendName) await selectBackend(backend, { log: false });
  const data = new Map<string, DataSplit>();
  const checked = new Set<string>();
  for (const cell of cells) {
    if (cell.phase !== 'train' || checked.has(cell.method)) continue;
    checked.add(cell.method);
    // The shapes the check needs do not depend on the seed: one load per data description.
    const key = dataKey(cell.config);
    if (!data.has(key)) data.set(key, loadRunData(cell.config));
    const { trainer } = await prepareRun(cell.config, { registries, data: data.get(key) });
    trainer.model.dispose();
    trainer.optimizer.dispose();
  }
}

/** What a cell's data depends on, but its seed (JSON drops the undefined). */
function dataKey(config: RunCell['config']): string {
  return JSON.stringify({ ...runDataSpec(config), seed: undefined });
}

const workerFile = new URL(
  `./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

/** Trains one cell in a fresh child process (lab/worker.ts); the queue's workers use it too. */
export function runInChild(request: WorkerRequest): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const child = fork(workerFile, [], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let reply: WorkerReply | undefined;
    child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
    child.on('message', (message: WorkerReply) => (reply = message));
    child.on('exit', (code, signal) => {
      resolve(
        reply ?? {
          ok: false,
          error: `worker exited (${signal ?? `code ${code}`}): ${lastLine(stderr)}`,
        },
      );
    });
    child.send(request);
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? 'no output';
}

/** Runs the cells with at most `workers` at a time; a transfer cell waits for its run. */
async function schedule(
  cells: RunCell[],
  workers: number,
  runCell: (cell: RunCell, dependency?: CellOutcome) => Promise<CellOutcome>,
): Promise<CellOutcome[]> {
  const outcomes = new Map<string, Promise<CellOutcome>>();
  const slots = Array.from({ length: Math.max(1, workers) }, () => Promise.resolve());
  let next = 0;
  const start = (cell: RunCell): Promise<CellOutcome> => {
    const dependency = cell.after ? outcomes.get(cell.after) : undefined;
    const slot = next++ % slots.length;
    const outcome = slots[slot].then(async () => {
      return runCell(cell, dependency ? await dependency : undefined);
    });
    // The next cell of the slot waits for this one, whether it ended or threw.
    slots[slot] = outcome.then(
      () => undefined,
      () => undefined,
    );
    outcomes.set(cell.id, outcome);
    return outcome;
  };
  return Promise.all(cells.map(start));
}

/** Runs (or resumes) an experiment and writes its results. */
export async function compare(
  experiment: ExperimentConfig,
  options: CompareOptions,
): Promise<CompareOutcome> {
  experiment = canonicalExperiment(experiment, options.registries);
  const cells = expandMatrix(experiment);
  await checkMethodsOnTheirModels(cells, options.backend, options.registries);
  const lock = await lockFolder(options.out, 'experiment folder');
  try {
    await claimExperimentFolder(options.out, experiment);
    return await runMatrix(experiment, cells, options);
  } finally {
    await lock.release();
  }
}

async function runMatrix(
  experiment: ExperimentConfig,
  cells: RunCell[],
  options: CompareOptions,
): Promise<CompareOutcome> {
  const log = options.log ?? console.log;
  const finished = await finishedCells(cells, options.out);
  const executor = await (options.executor ?? localExecutor)({
    experiment,
    cells,
    finished,
    out: options.out,
    backend: options.backend,
    workers: options.workers,
    log,
  });
  try {
    let count = 0;
    const runCell = async (cell: RunCell, dependency?: CellOutcome): Promise<CellOutcome> => {
      const cached = finished.get(cell.id);
      const outcome: CellOutcome =
        dependency?.status === 'failed'
          ? { cell, status: 'failed', error: `not run: ${dependency.cell.id} failed` }
          : cached
            ? finishedOutcome(cell, cached, true)
            : await executor.train(cell, path.join(options.out, cell.id));
      count += 1;
      log(`[${count}/${cells.length}] ${describe(outcome)}`);
      return outcome;
    };
    log(
      `${cells.length} runs (${experiment.methods.length} methods × ${experiment.seeds.length} seeds${experiment.transfer ? ' × (train + transfer)' : ''}), ${executor.description}`,
    );
    const outcomes = await schedule(cells, executor.slots, runCell);
    const table = resultsTable(outcomes, experiment);
    await writeResults(options.out, outcomes, table);
    return { cells: outcomes, table, failed: outcomes.filter((o) => o.status === 'failed') };
  } finally {
    await executor.close?.();
  }
}

/** The cells whose run folder holds `result.json`, with it. */
async function finishedCells(cells: RunCell[], out: string): Promise<Map<string, RunResult>> {
  const results = await Promise.all(cells.map((cell) => readResult(path.join(out, cell.id))));
  return new Map(cells.flatMap((cell, k) => (results[k] ? [[cell.id, results[k]] as const] : [])));
}

/** The default executor: each cell in its own child process here, `workers` at a time. */
export const localExecutor: CellExecutorFactory = async (context) => {
  const workers = context.workers ?? availableParallelism();
  return {
    slots: workers,
    description: `${workers} at a time`,
    train: (cell, dir) => trainCell(cell, dir, context),
  };
};

async function trainCell(
  cell: RunCell,
  dir: string,
  options: Pick<CompareOptions, 'out' | 'backend'>,
): Promise<CellOutcome> {
  const config = cell.after
    ? { ...cell.config, init: path.join(options.out, cell.after) }
    : cell.config;
  const reply = await runInChild({ config, out: dir, backend: options.backend });
  return reply.ok
    ? finishedOutcome(cell, reply.result, false)
    : { cell, status: 'failed', error: reply.error };
}

function describe(outcome: CellOutcome): string {
  const { cell } = outcome;
  const name = `${cell.method} seed ${cell.seed}${cell.phase === 'transfer' ? ' (transfer)' : ''}`;
  if (outcome.status === 'failed') return `${name}: FAILED — ${outcome.error}`;
  const r = outcome.result!;
  return `${name}: test ${(100 * r.testAccuracy).toFixed(2)}%${outcome.status === 'cached' ? ' (done before)' : ` (${r.seconds.toFixed(1)} s)`}`;
}

async function writeResults(
  out: string,
  outcomes: CellOutcome[],
  table: ResultsTable,
): Promise<void> {
  const runs: Table = {
    header: [
      'id',
      'method',
      'seed',
      'phase',
      'status',
      'test_accuracy',
      'test_loss',
      'train_accuracy',
      'seconds',
    ],
    rows: outcomes.map((o) => [
      o.cell.id,
      o.cell.method,
      o.cell.seed,
      o.cell.phase,
      o.status,
      o.result?.testAccuracy,
      o.result?.testLoss,
      o.result?.trainAccuracy,
      o.result?.seconds,
    ]),
  };
  const csv = renderTable(runs, 'csv');
  await writeFileAtomic(path.join(out, 'results.csv'), csv);
  await writeFileAtomic(
    path.join(out, 'results.json'),
    JSON.stringify(
      {
        table,
        runs: outcomes.map(({ cell, ...rest }) => ({
          id: cell.id,
          method: cell.method,
          seed: cell.seed,
          phase: cell.phase,
          ...rest,
        })),
      },
      null,
      2,
    ),
  );
  await writeFileAtomic(path.join(out, 'results.md'), table.markdown + '\n');
}
