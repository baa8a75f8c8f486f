/**
 * Helpers shared by the PER examples: the contenders as `--reg`-style specs, one seeded
 * training run with the activation monitor, per-config summaries and JSON output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  Random,
  Trainer,
  activationStats,
  buildModel,
  builtinRegistries,
  selectBackend,
  type ActivationName,
  type Dataset,
} from '../src/index.js';

/** wasm with reglab's kernel fixes when it loads, else cpu (REGLAB_BACKEND overrides). */
export async function exampleBackend(): Promise<string> {
  const wanted = (process.env.REGLAB_BACKEND ?? 'wasm') as 'wasm' | 'cpu';
  try {
    return await selectBackend(wanted, { log: false });
  } catch {
    return selectBackend('cpu', { log: false });
  }
}

/** One training run's setup. `reg` is a `--reg` spec such as `per:1e-4`, or `none`. */
export interface RunConfig {
  model: string;
  activation: ActivationName;
  reg: string;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  monitorSlices?: number;
}

/** What a run reports: test error, and per epoch the activation monitor on the test set. */
export interface RunResult {
  config: RunConfig;
  testError: number;
  /** Mean unweighted term value over the last epoch (NaN for `none`). */
  finalTerm: number;
  /** Monitor outputs per epoch: `dense_k/mean|var|sw1` → value. */
  monitors: Record<string, number>[];
  seconds: number;
}

/** Trains one seeded run with Adam and the activation monitor. */
export async function runOnce(
  config: RunConfig,
  data: { train: Dataset; test: Dataset },
): Promise<RunResult> {
  const rng = new Random(config.seed);
  const model = buildModel(config.model, {
    inputShape: data.train.sampleShape,
    numClasses: data.train.numClasses,
    rng,
    activation: config.activation,
  });
  const terms =
    config.reg === 'none' ? [] : [builtinRegistries().terms.create(config.reg, { rng })];
  const monitors = [activationStats({ slices: config.monitorSlices ?? 64, seed: config.seed })];
  const trainer = new Trainer({
    model,
    optimizer: tf.train.adam(config.learningRate),
    terms,
    monitors,
    rng,
  });
  const started = performance.now();
  const history = await trainer.fit(data.train, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    validation: data.test,
    monitorSamples: 512,
  });
  const last = history[history.length - 1];
  const result: RunResult = {
    config,
    testError: 1 - (last.valAccuracy ?? NaN),
    finalTerm: terms.length ? last.terms[terms[0].name] : NaN,
    monitors: history.map((m) =>
      Object.fromEntries(
        Object.entries(m.monitors).map(([k, v]) => [k.replace(/^activations\//, ''), v]),
      ),
    ),
    seconds: (performance.now() - started) / 1000,
  };
  model.dispose();
  return result;
}

/** Mean and sample standard deviation. */
export function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd =
    values.length > 1
      ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1))
      : 0;
  return { mean, sd };
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value, null, 2) + '\n');
}

/** `--name value` from the command line. */
export function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}
