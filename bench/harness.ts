/**
 * Benchmark harness shared by reglab's benches (backends, racecar, PER, Langevin overheads).
 *
 * API
 * - `measureThroughput(spec)`: activates `spec.backend` (via {@link useBenchBackend}), calls
 *   `setup()` once, runs `warmup` untimed steps (compilation, XNNPACK packing, heap growth), then
 *   times `step(state)` until `seconds` have passed and at least `minSteps` steps ran. Returns a
 *   {@link ThroughputResult}: samples/s, ms/step, `tf.memory()` after warm-up, process RSS, and the
 *   tensors leaked per step. A step that throws does not abort the bench: the result carries
 *   `error` (e.g. a kernel missing on a backend) and NaN rates.
 * - `useBenchBackend(name)`: `'cpu' | 'wasm' | 'wasm-stock' | 'webgpu' | 'tensorflow'`; `wasm` has
 *   reglab's kernel fixes, `wasm-stock` the stock TF.js kernels (for A/B comparisons).
 * - `markdownTable(rows, columns)`: a GitHub Markdown table; `columns` pick and format fields.
 * - `writeResults(basePath, rows, columns)`: writes `basePath.json` (all fields) and `basePath.md`.
 * - `THROUGHPUT_COLUMNS`: the standard columns for {@link ThroughputResult} rows.
 * - `compareInterleaved(spec)`: A/B(/C…) in one process, variants alternating step by step (order
 *   rotated each round), median ms per step each. On a shared, loaded machine this is the fair
 *   way to measure an overhead or a speed-up: load changes hit all variants alike. Returns one
 *   {@link InterleavedRow} per variant (`vsFirst` = speed relative to the first variant);
 *   `INTERLEAVED_COLUMNS` prints them.
 *
 * ```ts
 * const r = await measureThroughput({
 *   name: 'mlp', backend: 'wasm', samplesPerStep: 128, seconds: 3,
 *   setup: () => makeModelAndData(),
 *   step: (s) => s.model.trainOnBatch(s.x, s.y),
 *   teardown: (s) => s.model.dispose(),
 * });
 * await writeResults('bench/results/mine', [r], THROUGHPUT_COLUMNS);
 * ```
 *
 * Timings on a shared machine are noisy: compare ratios measured in the same run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/index.js';

/** Backend variants a bench can run on. */
export type BenchBackend = 'cpu' | 'native' | 'wasm' | 'wasm-stock' | 'webgpu' | 'tensorflow';

/** What {@link measureThroughput} measures. */
export interface ThroughputSpec<S> {
  /** Case name shown in tables (e.g. `mlp 784-256-256-10`). */
  name: string;
  /** Backend to activate before `setup`. */
  backend: BenchBackend;
  /** Builds the state (model, data, optimizer); runs once, untimed. */
  setup: () => S | Promise<S>;
  /** One timed unit of work on `state`. */
  step: (state: S) => unknown | Promise<unknown>;
  /** Frees the state (untimed). */
  teardown?: (state: S) => void | Promise<void>;
  /** Samples processed by one step (throughput = samplesPerStep · steps / time). */
  samplesPerStep: number;
  /** Untimed steps before timing (default 2). */
  warmup?: number;
  /** Minimum timed seconds (default 5). */
  seconds?: number;
  /** Minimum timed steps (default 3). */
  minSteps?: number;
}

/** One measurement. */
export interface ThroughputResult {
  name: string;
  backend: BenchBackend;
  samplesPerSec: number;
  msPerStep: number;
  steps: number;
  seconds: number;
  /** `tf.memory().numBytes` after warm-up (weights, optimizer state, data). */
  tensorMB: number;
  /** `tf.memory().numTensors` after warm-up. */
  numTensors: number;
  /** Tensors gained per timed step (0 unless the step leaks). */
  leakedPerStep: number;
  /** Resident set size of the process at the end (includes the wasm heap). */
  rssMB: number;
  /** Set when setup or a step threw. */
  error?: string;
}

/** Activates a bench backend quietly; returns the log line selectBackend produced. */
export async function useBenchBackend(backend: BenchBackend): Promise<string> {
  let line = '';
  const log = (l: string) => (line = l);
  if (backend === 'wasm-stock') await selectBackend('wasm', { log, wasmFixes: false });
  else await selectBackend(backend, { log });
  return line;
}

const MB = 1024 * 1024;

/** Runs `spec` (see the file header) and returns its throughput and memory. */
export async function measureThroughput<S>(spec: ThroughputSpec<S>): Promise<ThroughputResult> {
  const { warmup = 2, seconds = 5, minSteps = 3 } = spec;
  const result: ThroughputResult = {
    name: spec.name,
    backend: spec.backend,
    samplesPerSec: NaN,
    msPerStep: NaN,
    steps: 0,
    seconds: 0,
    tensorMB: NaN,
    numTensors: NaN,
    leakedPerStep: NaN,
    rssMB: NaN,
  };
  let state: S | undefined;
  try {
    await useBenchBackend(spec.backend);
    state = await spec.setup();
    for (let i = 0; i < warmup; i++) await spec.step(state);
    const memory = tf.memory();
    Object.assign(result, { tensorMB: memory.numBytes / MB, numTensors: memory.numTensors });
    const start = performance.now();
    let elapsed = 0;
    while (result.steps < minSteps || elapsed < seconds * 1000) {
      await spec.step(state);
      result.steps++;
      elapsed = performance.now() - start;
    }
    Object.assign(result, {
      seconds: elapsed / 1000,
      msPerStep: elapsed / result.steps,
      samplesPerSec: (spec.samplesPerStep * result.steps) / (elapsed / 1000),
      leakedPerStep: (tf.memory().numTensors - memory.numTensors) / result.steps,
    });
  } catch (err) {
    result.error = (err as Error).message.split('\n')[0].split(' — ')[0]; // the problem, not the hint
  } finally {
    if (state !== undefined) await spec.teardown?.(state);
    result.rssMB = process.memoryUsage().rss / MB;
  }
  return result;
}

/** A table column: which field, its title, and how to print it. */
export interface Column<T> {
  key: keyof T & string;
  title: string;
  format?: (value: T[keyof T], row: T) => string;
}

/** Formats a number with thousands separators and `digits` decimals ('—' for NaN). */
export function num(value: unknown, digits = 0): string {
  return typeof value === 'number' && Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '—';
}

/** Renders `rows` as a GitHub Markdown table with the given columns. */
export function markdownTable<T>(rows: T[], columns: Column<T>[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [
    line(columns.map((c) => c.title)),
    line(columns.map(() => '---')),
    ...rows.map((row) =>
      line(columns.map((c) => (c.format ?? ((v) => String(v ?? '')))(row[c.key], row))),
    ),
  ].join('\n');
}

/** Standard columns for {@link ThroughputResult} rows. */
export const THROUGHPUT_COLUMNS: Column<ThroughputResult>[] = [
  { key: 'name', title: 'case' },
  { key: 'backend', title: 'backend' },
  {
    key: 'samplesPerSec',
    title: 'samples/s',
    format: (v, r) => (r.error ? `fails: ${r.error}` : num(v)),
  },
  { key: 'msPerStep', title: 'ms/step', format: (v) => num(v, 1) },
  { key: 'steps', title: 'steps' },
  { key: 'tensorMB', title: 'tensor MB', format: (v) => num(v, 1) },
  { key: 'leakedPerStep', title: 'leak/step', format: (v) => num(v, 1) },
  { key: 'rssMB', title: 'RSS MB', format: (v) => num(v) },
];

/** A throughput result with its step time relative to the first case. */
export type RatioRow = ThroughputResult & { ratio: number };

/**
 * The fastest result of each case over repeated rounds (the one least disturbed by other
 * load), with its step-time ratio to the first case, and the table columns to print them.
 */
export function bestOfRounds(
  results: ThroughputResult[],
  names: string[],
  ratioTitle: string,
): { rows: RatioRow[]; columns: Column<RatioRow>[] } {
  const best = names.map((name) =>
    results.filter((r) => r.name === name).reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a)),
  );
  const baseline = best[0].msPerStep;
  const columns: Column<RatioRow>[] = [
    ...(THROUGHPUT_COLUMNS as unknown as Column<RatioRow>[]),
    { key: 'ratio', title: ratioTitle, format: (v) => num(v, 2) },
  ];
  return { rows: best.map((r) => ({ ...r, ratio: r.msPerStep / baseline })), columns };
}

/** Writes `basePath.json` (rows as they are) and `basePath.md` (the table), creating folders. */
export async function writeResults<T>(
  basePath: string,
  rows: T[],
  columns: Column<T>[],
  preamble = '',
): Promise<void> {
  await mkdir(dirname(basePath), { recursive: true });
  await writeFile(`${basePath}.json`, JSON.stringify(rows, null, 2) + '\n');
  await writeFile(
    `${basePath}.md`,
    `${preamble ? preamble + '\n\n' : ''}${markdownTable(rows, columns)}\n`,
  );
}

/** What {@link compareInterleaved} compares: variants sharing one state, stepped alternately. */
export interface InterleavedSpec<S> {
  name: string;
  backend: BenchBackend;
  setup: () => S | Promise<S>;
  teardown?: (state: S) => void | Promise<void>;
  /** Each variant: `enter` switches to it (e.g. installs kernels), `step` does one unit of work. */
  variants: Record<string, { enter?: () => void | Promise<void>; step: (state: S) => unknown }>;
  samplesPerStep: number;
  /** Timed steps per variant (default 7). */
  rounds?: number;
  /** Untimed steps per variant first (default 1). */
  warmup?: number;
  /** Milliseconds now (default `performance.now`); tests pass a fake clock to check the bookkeeping. */
  clock?: () => number;
}

/** One variant's result from {@link compareInterleaved}. */
export interface InterleavedRow {
  name: string;
  backend: BenchBackend;
  variant: string;
  /** Median over rounds. */
  msPerStep: number;
  samplesPerSec: number;
  /** Speed relative to the first variant (2 = twice as fast). */
  vsFirst: number;
  rounds: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the variants of `spec` interleaved and returns their median step times (see header). */
export async function compareInterleaved<S>(spec: InterleavedSpec<S>): Promise<InterleavedRow[]> {
  const { rounds = 7, warmup = 1, clock = () => performance.now() } = spec;
  const names = Object.keys(spec.variants);
  const times = new Map<string, number[]>(names.map((n) => [n, []]));
  await useBenchBackend(spec.backend);
  const state = await spec.setup();
  try {
    for (let r = -warmup; r < rounds; r++) {
      const order = names.map((_, i) => names[(i + Math.max(r, 0)) % names.length]);
      for (const name of order) {
        const v = spec.variants[name];
        await v.enter?.();
        const start = clock();
        await v.step(state);
        if (r >= 0) times.get(name)!.push(clock() - start);
      }
    }
  } finally {
    await spec.teardown?.(state);
  }
  const first = median(times.get(names[0])!);
  return names.map((variant) => {
    const ms = median(times.get(variant)!);
    return {
      name: spec.name,
      backend: spec.backend,
      variant,
      rounds,
      msPerStep: ms,
      samplesPerSec: (spec.samplesPerStep * 1000) / ms,
      vsFirst: first / ms,
    };
  });
}

/** Standard columns for {@link InterleavedRow} rows. */
export const INTERLEAVED_COLUMNS: Column<InterleavedRow>[] = [
  { key: 'name', title: 'case' },
  { key: 'backend', title: 'backend' },
  { key: 'variant', title: 'variant' },
  { key: 'samplesPerSec', title: 'samples/s', format: (v) => num(v) },
  { key: 'msPerStep', title: 'median ms/step', format: (v) => num(v, 1) },
  { key: 'vsFirst', title: 'speed-up', format: (v) => `${num(v, 2)}×` },
  { key: 'rounds', title: 'rounds' },
];
