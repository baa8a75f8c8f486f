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
import { expandGrid, numberRange, readNumber } from '../core/spec.js';
import { checkRunConfig, RUN_DEFAULTS, type RunConfig } from './run-config.js';

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

/** The keys of an experiment file (`reglab compare --config`, docs/lab.md). */
export const EXPERIMENT_FILE_KEYS = ['base', 'methods', 'seeds', 'transfer', 'baseline'] as const;

const METHOD_KEYS = ['label', 'regs', 'optimizer', 'lr', 'constraints'] as const;

const positiveInt = { integer: true, min: 1 } as const;

/** Throws unless `value` is an object with only `keys`; returns it as a record. */
function checkObject(
  value: unknown,
  where: string,
  keys: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ReglabError(`${where} is not an object`, `write it as {${keys.join(', ')}}`);
  const unknown = Object.keys(value).filter((key) => !keys.includes(key));
  if (unknown.length > 0)
    throw new ReglabError(
      `${where} has an unknown field ${unknown.map((key) => `"${key}"`).join(', ')}`,
      `the fields are ${keys.join(', ')}`,
    );
  return value as Record<string, unknown>;
}

function methodFromFile(entry: unknown, where: string): MethodSpec[] {
  if (typeof entry === 'string') return parseMethod(entry);
  const method = checkObject(entry, where, METHOD_KEYS);
  const { label, regs, ...overrides } = method;
  if (typeof label !== 'string' || label.trim() === '')
    throw new ReglabError(`${where} has no "label"`, 'give every method object a label');
  if (!Array.isArray(regs) || !regs.every((r) => typeof r === 'string'))
    throw new ReglabError(
      `${where} (${label}): "regs" is not a list of term specs`,
      'write "regs": [] for none',
    );
  checkRunConfig(overrides, `${where} (${label})`, { required: [] });
  return [{ ...(overrides as Partial<MethodSpec>), label, regs: regs as string[] }];
}

function seedsFromFile(seeds: unknown, where: string): number[] {
  if (Array.isArray(seeds)) {
    const bad = seeds.find((seed) => readNumber(seed, { integer: true, min: 0 }) === undefined);
    if (seeds.length === 0 || bad !== undefined)
      throw new ReglabError(
        `${where}: seeds ${JSON.stringify(seeds)} is not a list of integers ≥ 0`,
        'write "seeds": 3 (seeds 1..3) or a list like [1, 7, 42]',
      );
    return seeds as number[];
  }
  const count = readNumber(seeds, positiveInt);
  if (count === undefined)
    throw new ReglabError(
      `${where}: seeds ${JSON.stringify(seeds)} is not ${numberRange(positiveInt)} nor a list`,
      'write "seeds": 3 (seeds 1..3) or a list like [1, 7, 42]',
    );
  return Array.from({ length: count }, (_, i) => i + 1);
}

/**
 * Reads an experiment file's JSON (`reglab compare --config FILE`, format in docs/lab.md): every
 * field checked, unknown ones refused; `base` is a run config without `seed` and `regs`
 * ({@link checkRunConfig}, with {@link RUN_DEFAULTS} for epochs, batch size and optimizer).
 * @param file The file's name, for messages.
 * @throws ReglabError naming the file, the field and the value.
 */
export function parseExperimentFile(json: unknown, file: string): ExperimentConfig {
  const record = checkObject(json, file, EXPERIMENT_FILE_KEYS);
  const missing = ['base', 'methods', 'seeds'].filter((key) => record[key] === undefined);
  if (missing.length > 0)
    throw new ReglabError(
      `${file} has no ${missing.join(', ')}`,
      'an experiment file needs "base", "methods" and "seeds" (see docs/lab.md)',
    );
  const { epochs, batchSize, optimizer } = RUN_DEFAULTS;
  const base = { epochs, batchSize, optimizer, ...(record.base as object) };
  checkRunConfig(base, `${file} base`, {
    required: ['dataset', 'model'],
    exclude: {
      seed: 'the experiment\'s "seeds" set it: remove "seed" from base',
      regs: 'each method sets its terms: list them in "methods"',
    },
  });
  if (!Array.isArray(record.methods) || record.methods.length === 0)
    throw new ReglabError(
      `${file}: "methods" is not a non-empty list`,
      'write "methods": ["std", "racecar:1e-5"]',
    );
  const methods = record.methods.flatMap((entry, k) =>
    methodFromFile(entry, `${file} methods[${k}]`),
  );
  let transfer: ExperimentConfig['transfer'];
  if (record.transfer !== undefined) {
    const t = checkObject(record.transfer, `${file} transfer`, ['variant', 'epochs']);
    const transferEpochs = readNumber(t.epochs, positiveInt);
    if (typeof t.variant !== 'string' || transferEpochs === undefined)
      throw new ReglabError(
        `${file} transfer needs "variant" (e.g. "rotate:45") and "epochs" (${numberRange(positiveInt)})`,
        'write "transfer": {"variant": "rotate:45", "epochs": 2}',
      );
    transfer = { variant: t.variant, epochs: transferEpochs };
  }
  if (record.baseline !== undefined && typeof record.baseline !== 'string')
    throw new ReglabError(
      `${file}: "baseline" is not a method label`,
      'write e.g. "baseline": "std"',
    );
  return {
    base,
    methods,
    seeds: seedsFromFile(record.seeds, file),
    ...(transfer ? { transfer } : {}),
    ...(record.baseline !== undefined ? { baseline: record.baseline as string } : {}),
  };
}
