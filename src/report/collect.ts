/**
 * What a report reads: an experiment folder (`experiment.json`, `results.json`, one run folder
 * per cell, see src/lab/compare.ts) or a single run folder (`config.json`, `metrics.jsonl`,
 * `model.json`, `result.json`, see src/train/run.ts), gathered into one {@link ReportInput}.
 */
import path from 'node:path';
import { ReglabError } from '../core/errors.js';
import { expandMatrix, type ExperimentConfig } from '../lab/matrix.js';
import { resultsTable, type CellOutcome, type ResultsTable } from '../lab/results.js';
import { pathExists } from '../core/fs.js';
import type { EpochMetrics } from '../train/trainer.js';
import { type RunConfig } from '../lab/run-config.js';
import { readMetrics } from '../lab/run-folder.js';
import { readResult } from '../lab/run-folder.js';
import { readExperiment, readRunConfig } from '../lab/run-folder.js';

/** One run of the report. */
export interface ReportRun {
  /** Folder name (`std-s1`) or the folder itself for a single run. */
  id: string;
  dir: string;
  /** Method label (`std`, `racecar:1e-5`). */
  method: string;
  seed: number;
  phase: 'train' | 'transfer';
  config: RunConfig;
  metrics: EpochMetrics[];
  /** Whether `result.json` exists (the model is saved). */
  finished: boolean;
}

/** Everything a report shows. */
export interface ReportInput {
  /** The folder the report describes. */
  dir: string;
  kind: 'experiment' | 'run';
  /** Method labels in the experiment's order. */
  methods: string[];
  runs: ReportRun[];
  table: ResultsTable;
  /** The shared config (experiment base, or the run's config). */
  config: Record<string, unknown>;
  /** Runs of the experiment (or the lone run) that have no result yet: their folder ids. */
  missing: string[];
}

const FOLDER_HINT =
  'pass an experiment folder (written by reglab compare: experiment.json, one folder per run) or a run folder (reglab train --out: config.json, metrics.jsonl)';

/** The label of a single run's method: its terms joined with `+`, or `std`. */
export function methodLabel(config: RunConfig): string {
  return config.regs && config.regs.length > 0 ? config.regs.join('+') : 'std';
}

/** Reads an experiment folder or a run folder. */
export async function collectReportInput(dir: string): Promise<ReportInput> {
  if (await pathExists(path.join(dir, 'experiment.json'))) return collectExperiment(dir);
  if (await pathExists(path.join(dir, 'config.json'))) return collectRun(dir);
  throw new ReglabError(`${dir} is neither an experiment folder nor a run folder`, FOLDER_HINT);
}

async function collectExperiment(dir: string): Promise<ReportInput> {
  const experiment = await readExperiment(dir);
  const runs: ReportRun[] = [];
  const outcomes: CellOutcome[] = [];
  const missing: string[] = [];
  for (const cell of expandMatrix(experiment)) {
    const runDir = path.join(dir, cell.id);
    const started = await pathExists(path.join(runDir, 'config.json'));
    const result = started ? await readResult(runDir) : undefined;
    if (!result) missing.push(cell.id);
    if (!started) continue;
    runs.push({
      id: cell.id,
      dir: runDir,
      method: cell.method,
      seed: cell.seed,
      phase: cell.phase,
      config: await readRunConfig(runDir),
      metrics: await readMetrics(runDir),
      finished: result !== undefined,
    });
    outcomes.push(
      result
        ? { cell, status: 'cached', result }
        : { cell, status: 'failed', error: 'not finished' },
    );
  }
  // The table from the run folders themselves (what compare wrote, or a matrix still running).
  return {
    dir,
    kind: 'experiment',
    methods: experiment.methods.map((m) => m.label),
    runs,
    table: resultsTable(outcomes, experiment),
    missing,
    config: {
      ...experiment.base,
      seeds: experiment.seeds,
      ...(experiment.transfer ? { transfer: experiment.transfer } : {}),
    },
  };
}

async function collectRun(dir: string): Promise<ReportInput> {
  const config = await readRunConfig(dir);
  const result = await readResult(dir);
  const method = methodLabel(config);
  const run: ReportRun = {
    id: path.basename(path.resolve(dir)),
    dir,
    method,
    seed: config.seed,
    phase: config.transfer ? 'transfer' : 'train',
    config,
    metrics: await readMetrics(dir),
    finished: result !== undefined,
  };
  const { regs: _regs, seed: _seed, ...base } = config;
  const experiment: ExperimentConfig = {
    base,
    methods: [{ label: method, regs: config.regs ?? [] }],
    seeds: [config.seed],
  };
  // A lone run is the table's only row, whatever its phase.
  const cell = { id: run.id, method, seed: config.seed, phase: 'train' as const, config };
  const outcome: CellOutcome = result
    ? { cell, status: 'cached', result }
    : { cell, status: 'failed', error: 'not finished' };
  return {
    dir,
    kind: 'run',
    methods: [method],
    runs: [run],
    table: resultsTable([outcome], experiment),
    config: { ...config },
    missing: result ? [] : [run.id],
  };
}

/**
 * The run whose model stands for a method in the weight figures: the finished train-phase run
 * with the lowest seed (seed 1 in a default matrix).
 */
export function representativeRuns(input: ReportInput): ReportRun[] {
  return input.methods.flatMap((method) => {
    const candidates = input.runs
      .filter((run) => run.method === method && run.phase === 'train' && run.finished)
      .sort((a, b) => a.seed - b.seed);
    return candidates.length > 0 ? [candidates[0]] : [];
  });
}
