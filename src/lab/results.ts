/**
 * The results table of an experiment: per method and phase, test accuracy mean ± std over
 * seeds, its 95% confidence interval, and a paired t-test against the baseline on the seeds
 * both ran (Student t; see src/analysis/stats.ts).
 */
import {
  formatMeanStd,
  pairedComparison,
  summarize,
  type PairedComparison,
  type Summary,
} from '../analysis/stats.js';
import { renderTable, type Table } from '../core/table.js';
import type { ExperimentConfig, RunCell } from './matrix.js';

/** What happened to one cell. */
export interface CellOutcome {
  cell: RunCell;
  status: 'done' | 'cached' | 'failed';
  result?: { testAccuracy: number; testLoss: number; trainAccuracy: number; seconds: number };
  error?: string;
}

/** One row: a method in one phase. */
export interface ResultsRow {
  method: string;
  phase: 'train' | 'transfer';
  seeds: number[];
  accuracy?: Summary;
  /** Paired comparison against the baseline (absent for the baseline itself or < 2 shared seeds). */
  versusBaseline?: PairedComparison;
  failed: number;
}

export interface ResultsTable {
  baseline?: string;
  rows: ResultsRow[];
  /** The rows as a display table (core/table.ts renders it as Markdown, HTML, CSV or text). */
  table: Table;
  /** The table as Markdown. */
  markdown: string;
}

function accuracies(outcomes: CellOutcome[], method: string, phase: string): Map<number, number> {
  const bySeed = new Map<number, number>();
  for (const o of outcomes) {
    if (o.cell.method === method && o.cell.phase === phase && o.result)
      bySeed.set(o.cell.seed, o.result.testAccuracy);
  }
  return bySeed;
}

function compareToBaseline(
  values: Map<number, number>,
  baseline: Map<number, number> | undefined,
): PairedComparison | undefined {
  if (!baseline) return undefined;
  const shared = [...values.keys()].filter((seed) => baseline.has(seed)).sort((a, b) => a - b);
  if (shared.length < 2) return undefined;
  return pairedComparison(
    shared.map((s) => values.get(s)!),
    shared.map((s) => baseline.get(s)!),
  );
}

/** Builds the table from the cell outcomes. */
export function resultsTable(outcomes: CellOutcome[], experiment: ExperimentConfig): ResultsTable {
  const methods = experiment.methods.map((m) => m.label);
  const baseline = experiment.baseline ?? (methods.includes('std') ? 'std' : undefined);
  const phases: ('train' | 'transfer')[] = experiment.transfer ? ['train', 'transfer'] : ['train'];
  const rows: ResultsRow[] = [];
  for (const phase of phases) {
    const baselineValues = baseline ? accuracies(outcomes, baseline, phase) : undefined;
    for (const method of methods) {
      const values = accuracies(outcomes, method, phase);
      const failed = outcomes.filter(
        (o) => o.cell.method === method && o.cell.phase === phase && o.status === 'failed',
      ).length;
      rows.push({
        method,
        phase,
        seeds: [...values.keys()].sort((a, b) => a - b),
        accuracy: values.size > 0 ? summarize([...values.values()]) : undefined,
        versusBaseline: method === baseline ? undefined : compareToBaseline(values, baselineValues),
        failed,
      });
    }
  }
  const table = displayTable(rows, baseline);
  return { baseline, rows, table, markdown: renderTable(table, 'markdown') };
}

const pct = (x: number) => (100 * x).toFixed(2);

/** The rows as text cells: mean ± std, 95% CI, paired Δ and p against the baseline. */
function displayTable(rows: ResultsRow[], baseline: string | undefined): Table {
  const header = [
    'method',
    'phase',
    'seeds',
    'test accuracy % (mean ± std)',
    '95% CI',
    `Δ vs ${baseline ?? 'baseline'} (paired)`,
    'p',
  ];
  return {
    header,
    rows: rows.map((row) => {
      const acc = row.accuracy;
      const summary = acc ? formatMeanStd({ mean: 100 * acc.mean, std: 100 * acc.std }, 2) : '–';
      const ci =
        acc && !Number.isNaN(acc.ci95[0]) ? `[${pct(acc.ci95[0])}, ${pct(acc.ci95[1])}]` : '–';
      const v = row.versusBaseline;
      const delta = v
        ? `${v.meanDiff >= 0 ? '+' : ''}${pct(v.meanDiff)}`
        : row.method === baseline
          ? '(baseline)'
          : '–';
      const failed = row.failed ? ` (${row.failed} failed)` : '';
      return [
        row.method,
        row.phase,
        `${row.seeds.length}${failed}`,
        summary,
        ci,
        delta,
        v ? v.pValue.toPrecision(2) : '–',
      ];
    }),
  };
}
