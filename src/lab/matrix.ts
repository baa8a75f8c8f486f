/**
 * Experiment matrices: methods × seeds (× λ grids), each cell one {@link RunConfig}, optionally
 * followed by a transfer fine-tune that starts from the cell's final weights.
 *
 * A method is `std` (no term) or one or more term specs joined with `+`
 * (`racecar:1e-5`, `per:1e-4+l2act:1e-5`), optionally with its own optimizer
 * (`cola-ud:h=0.3,gamma=1,tau=0!circle:0.05@dense_1` is written in a config file instead).
 * A `|` inside the weight expands a grid: `racecar:1e-6|1e-5` is two methods.
 */
import { ReglabError } from '../core/errors.js';
import type { RunConfig } from './run.js';

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
 * Splits `--methods std,ort:0.1,dr:cosine:1e-2@dense_1,dense_2` on commas, keeping a layer list
 * after `@` with its spec (a part without `:` that is not `std` continues the previous spec).
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

/** Expands `name:opt:w1|w2@layers` into one spec per weight. */
function expandGrid(spec: string): string[] {
  const [body, layers] = spec.split('@', 2);
  const at = body.lastIndexOf(':');
  if (at < 0 || !body.slice(at + 1).includes('|')) return [spec];
  const suffix = layers === undefined ? '' : `@${layers}`;
  return body
    .slice(at + 1)
    .split('|')
    .map((weight) => `${body.slice(0, at)}:${weight}${suffix}`);
}

/** Parses one method text (`std`, `racecar:1e-5`, `per:1e-4+l2act:1e-5`, grids) into methods. */
export function parseMethod(text: string): MethodSpec[] {
  if (text === 'std') return [{ label: 'std', regs: [] }];
  const terms = text.split('+').map((part) => part.trim());
  if (terms.some((term) => !term.includes(':'))) {
    throw new ReglabError(
      `bad method "${text}"`,
      'write std, or term specs like racecar:1e-5 joined with +',
    );
  }
  // A grid may sit in one term only; the others stay fixed.
  const gridIndex = terms.findIndex((term) => expandGrid(term).length > 1);
  if (gridIndex < 0) return [{ label: text, regs: terms }];
  return expandGrid(terms[gridIndex]).map((expanded) => {
    const regs = terms.map((term, k) => (k === gridIndex ? expanded : term));
    return { label: regs.join('+'), regs };
  });
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
