/**
 * Experiment matrices: methods × seeds (× λ grids), each cell one {@link RunConfig}, optionally
 * followed by a transfer fine-tune that starts from the cell's final weights.
 *
 * A method is `std` (no term) or one or more term specs joined with `+`
 * (`racecar:1e-5`, `per:1e-4+l2act:1e-5`); a method with its own optimizer and constraints
 * is written as an object in an experiment file. A `|` inside any value expands a grid:
 * `racecar:1e-6|1e-5` is two methods, `racecar:sum|mean:1e-5` too.
 */
import { ReglabError } from '../core/errors.js';
import { expandGrid } from '../core/spec.js';
import type { RunConfig } from './run-config.js';

/** One method of a matrix. */
export interface MethodSpec {
  /** Label in tables and folder names, e.g. `std`, `racecar:1e-5`. */
  label: string;
  /** Term specs (empty for `std`). */
  regs: string[];
  /** Optional optimizer override (constrained Langevin methods). */
  optimizer?: string;
  lr?: number;
  constraints?: string[];
}

/** An experiment: the shared base config, the methods, the seeds and an optional transfer. */
export interface ExperimentConfig {
  /** Everything but `regs` and `seed`, shared by every run. */
  base: Omit<RunConfig, 'regs' | 'seed'>;
  methods: MethodSpec[];
  seeds: number[];
  /** Transfer fine-tune after each run: the variant (`rotate:45`) and its epochs. */
  transfer?: { variant: string; epochs: number };
  /** Label of the baseline for paired comparisons (default `std` when present). */
  baseline?: string;
}

/** One cell of the matrix. */
export interface RunCell {
  /** Folder name under the experiment folder, unique. */
  id: string;
  method: string;
  seed: number;
  phase: 'train' | 'transfer';
  config: RunConfig;
  /** Id of the run whose weights this one starts from (transfer). */
  after?: string;
}

/**
 * Splits the first wave's `--methods std,ort:0.1,dr:cosine:1e-2@dense_1,dense_2` on commas,
 * keeping a layer list after `@` with its spec (a part without `:` that is not `std` continues
 * the previous spec). Deprecated: repeat `--method` instead.
 */
export function splitMethodList(text: string): string[] {
  const parts: string[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const continuesLayers =
      parts.length > 0 &&
      !raw.includes(':') &&
      raw !== 'std' &&
      parts[parts.length - 1].includes('@');
    if (continuesLayers) parts[parts.length - 1] += `,${raw}`;
    else parts.push(raw);
  }
  return parts;
}

/**
 * Parses one method text (`std`, `racecar:1e-5`, `per:1e-4+l2act:1e-5`) into its methods: a
 * `|` grid in any value of any term (core/spec.ts `expandGrid`) gives one method per
 * combination, the terms' grids crossed in order.
 */
export function parseMethod(text: string): MethodSpec[] {
  if (text.trim() === 'std') return [{ label: 'std', regs: [] }];
  const terms = text.split('+').map((part) => part.trim());
  if (terms.some((term) => term === '' || term === 'std')) {
    throw new ReglabError(
      `bad method "${text}"`,
      'write std, or term specs like racecar:1e-5 joined with +',
    );
  }
  let combinations: string[][] = [[]];
  for (const term of terms)
    combinations = combinations.flatMap((head) => expandGrid(term).map((t) => [...head, t]));
  return combinations.map((regs) => ({ label: regs.join('+'), regs }));
}

/** Folder-safe form of a label. */
export function slug(label: string): string {
  return label.replace(/[^a-zA-Z0-9.=-]+/g, '_');
}

/** All cells of an experiment, in the order they should run (each transfer after its run). */
export function expandMatrix(experiment: ExperimentConfig): RunCell[] {
  checkExperiment(experiment);
  const cells: RunCell[] = [];
  for (const method of experiment.methods) {
    for (const seed of experiment.seeds) {
      const id = `${slug(method.label)}-s${seed}`;
      const config: RunConfig = {
        ...experiment.base,
        optimizer: method.optimizer ?? experiment.base.optimizer,
        lr: method.lr ?? experiment.base.lr,
        constraints: method.constraints ?? experiment.base.constraints,
        regs: method.regs,
        seed,
      };
      cells.push({ id, method: method.label, seed, phase: 'train', config });
      if (experiment.transfer) {
        const transferConfig = {
          ...config,
          transfer: experiment.transfer.variant,
          epochs: experiment.transfer.epochs,
          init: id,
        };
        cells.push({
          id: `${id}-transfer`,
          method: method.label,
          seed,
          phase: 'transfer',
          config: transferConfig,
          after: id,
        });
      }
    }
  }
  return cells;
}

function checkExperiment(experiment: ExperimentConfig): void {
  if (experiment.methods.length === 0)
    throw new ReglabError('the experiment has no methods', 'pass --methods std,racecar:1e-5');
  if (experiment.seeds.length === 0)
    throw new ReglabError('the experiment has no seeds', 'pass --seeds 5');
  const labels = experiment.methods.map((m) => m.label);
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate)
    throw new ReglabError(`method ${duplicate} appears twice`, 'list each method once');
}
