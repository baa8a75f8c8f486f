/**
 * The seam between `compare` and where its cells train. `compare` owns the experiment folder:
 * it claims it, finds the cells that finished before (`result.json`), orders transfers after
 * their runs, logs, and writes the results table. An executor only trains cells into their
 * run folders: the default one forks a child process per cell on this machine
 * (lab/compare.ts), the queue one sends them to `reglab worker`s through Redis
 * (lab/queue/executor.ts). Both end with the same run folders, so with the same backend the
 * same tables.
 */
import type { BackendName } from '../backend/select.js';
import type { ExperimentConfig, RunCell } from './matrix.js';
import type { CellOutcome } from './results.js';
import type { RunResult } from './run-config.js';

/** What an executor is told when it starts. */
export interface ExecutorContext {
  /** The experiment, canonical (lab/compare.ts `canonicalExperiment`). */
  experiment: ExperimentConfig;
  /** Every cell of the matrix, in order. */
  cells: RunCell[];
  /** The cells whose folder holds `result.json`, with it: they are not trained again. */
  finished: ReadonlyMap<string, RunResult>;
  /** The experiment folder; a cell's run folder is `out/<cell id>`. */
  out: string;
  backend: BackendName;
  /** Parallel runs asked for (the local executor's slots). */
  workers?: number;
  log: (line: string) => void;
}

/** Trains cells; `compare` calls `train` once per unfinished cell, a transfer after its run. */
export interface CellExecutor {
  /** How many `train` calls may be in flight at once. */
  readonly slots: number;
  /** Where and how the cells run, for the first log line ("2 at a time"). */
  readonly description: string;
  /** Trains one cell into `dir` (a transfer's run finished in `out` before) and says how it went. */
  train(cell: RunCell, dir: string): Promise<CellOutcome>;
  /** Called once when the experiment ends, also after an error. */
  close?(): Promise<void>;
}

/** Starts an executor for one `compare` call. */
export type CellExecutorFactory = (context: ExecutorContext) => Promise<CellExecutor>;

/** The outcome of a cell that finished with `result` (now, or before when `cached`). */
export function finishedOutcome(
  cell: RunCell,
  result: Omit<RunResult, 'history'>,
  cached: boolean,
): CellOutcome {
  return {
    cell,
    status: cached ? 'cached' : 'done',
    result: {
      testAccuracy: result.testAccuracy,
      testLoss: result.testLoss,
      trainAccuracy: result.trainAccuracy,
      seconds: result.seconds,
    },
  };
}
