/**
 * reglab side of `npm run bench:compare` (bench/compare.ts): one backend per process, the same
 * training steps as bench/pytorch/worker.py, timed in blocks when the runner asks.
 *
 * Messages over the IPC channel (process.send), so that TF.js's console output cannot mix
 * with them: `hello`, `setup {case}`, `run {id, seconds, minSteps, warmup}`, `teardown {id}`,
 * `quit` — the same protocol and case fields as the PyTorch worker.
 *
 * A step is `Trainer.trainStep` (forward trace, task loss + λ·term, gradients, optimizer step,
 * numbers read back with dataSync). On webgpu, whose dataSync needs an OffscreenCanvas that Node
 * lacks, the same work is done with an asynchronous read (`asyncStep`).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Random,
  Trainer,
  diversify,
  forwardTrace,
  langevin,
  per,
  racecar,
  selectBackend,
  type Batch,
  type BackendName,
  type RegularizationTerm,
} from '../src/index.js';
import { loadNativeAddon } from '../src/backend/native-addon.js';
import { benchCase, type BenchModel } from './cases.js';

/** A case, as bench/compare.ts sends it to every side. */
export interface CaseSpec {
  id: string;
  model: BenchModel;
  method: 'std' | 'rr' | 'per' | 'dr' | 'srip' | 'circle' | 'orthogonal';
  batch: number;
  lr: number;
  momentum: number;
  params?: Record<string, number>;
}

interface State {
  trainer: Trainer;
  batch: Batch;
}

const states = new Map<string, State>();
let backendLine = '';
let backendName = '';

function terms(spec: CaseSpec): RegularizationTerm[] {
  const p = spec.params ?? {};
  switch (spec.method) {
    case 'rr':
      return [racecar.racecar({ lambda: p.lambda })];
    case 'srip':
      return [racecar.orthogonality({ factor: p.factor })];
    case 'per':
      return [per.per({ lambda: p.lambda, slices: p.slices ?? 256 })];
    case 'dr':
      return [diversify.diversify({ lambda: p.lambda, similarity: 'cosine' })];
    default:
      return [];
  }
}

function optimizer(spec: CaseSpec): tf.Optimizer {
  const p = spec.params ?? {};
  const common = {
    lr: spec.lr,
    momentum: spec.momentum,
    shakeTol: p.shakeTol,
    shakeMaxIter: p.shakeMaxIter,
  };
  if (spec.method === 'circle')
    return new langevin.UnderdampedLangevin({
      ...common,
      constraints: `circle:${p.radius ?? 0.1}@*`,
    });
  if (spec.method === 'orthogonal')
    return new langevin.UnderdampedLangevin({
      ...common,
      constraints: [{ pattern: '*', constraint: langevin.orthogonal() }],
    });
  return tf.train.momentum(spec.lr, spec.momentum);
}

function setup(spec: CaseSpec): void {
  const { model, batch } = benchCase(spec.model, spec.batch);
  const trainer = new Trainer({
    model,
    optimizer: optimizer(spec),
    terms: terms(spec),
    rng: new Random(3),
  });
  states.set(spec.id, { trainer, batch });
}

/** Trainer.trainStep's work with an asynchronous read of the step's numbers (webgpu). */
async function asyncStep({ trainer, batch }: State): Promise<void> {
  const kept: tf.Tensor[] = [];
  const cost = trainer.optimizer.minimize(
    () => {
      const trace = forwardTrace(trainer.model, batch.x, true);
      const task = trainer.loss(trace, batch);
      const context = {
        trace,
        batch,
        model: trainer.model,
        rng: trainer.termRng,
        step: trainer.step,
      };
      const values = trainer.terms.map((term) => term.compute(context));
      const correct = tf.mean(
        tf.cast(tf.equal(tf.argMax(trace.output, -1), tf.argMax(batch.y, -1)), 'float32'),
      );
      kept.push(tf.keep(correct));
      return values.reduce(
        (sum, v, k) => tf.add(sum, tf.mul(v, trainer.terms[k].weight)),
        task,
      ) as tf.Scalar;
    },
    true,
    trainer.trainableVariables(),
  ) as tf.Scalar;
  const numbers = tf.stack([cost, ...kept]);
  await numbers.data();
  tf.dispose([cost, numbers, ...kept]);
  trainer.step++;
}

async function step(state: State): Promise<void> {
  if (backendName === 'webgpu') await asyncStep(state);
  else state.trainer.trainStep(state.batch);
}

async function run(id: string, seconds: number, minSteps: number, warmup: number) {
  const state = states.get(id);
  if (!state) throw new Error(`no case ${id}`);
  for (let i = 0; i < warmup; i++) await step(state);
  const tensorsBefore = tf.memory().numTensors;
  const start = performance.now();
  let steps = 0;
  while (steps < minSteps || performance.now() - start < seconds * 1000) {
    await step(state);
    steps++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    steps,
    seconds: elapsed,
    leakedPerStep: (tf.memory().numTensors - tensorsBefore) / steps,
  };
}

function teardown(id: string): void {
  const state = states.get(id);
  if (!state) return;
  state.trainer.model.dispose();
  state.trainer.optimizer.dispose();
  tf.dispose([state.batch.x, state.batch.y]);
  states.delete(id);
}

type Message =
  | { cmd: 'hello' }
  | { cmd: 'setup'; case: CaseSpec }
  | { cmd: 'run'; id: string; seconds: number; minSteps?: number; warmup?: number }
  | { cmd: 'teardown'; id: string }
  | { cmd: 'quit' };

async function handle(message: Message): Promise<Record<string, unknown>> {
  switch (message.cmd) {
    case 'hello':
      return {
        backend: backendName,
        line: backendLine,
        tfjs: tf.version_core,
        node: process.version,
        native: backendName === 'native' ? loadNativeAddon()?.info() : undefined,
      };
    case 'setup':
      setup(message.case);
      return {};
    case 'run':
      return run(message.id, message.seconds, message.minSteps ?? 3, message.warmup ?? 0);
    case 'teardown':
      teardown(message.id);
      return {};
    case 'quit':
      setImmediate(() => process.exit(0));
      return {};
  }
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--backend');
  const wanted = (at >= 0 ? process.argv[at + 1] : 'wasm') as BackendName;
  try {
    backendName = await selectBackend(wanted, { log: (line) => (backendLine = line) });
  } catch (err) {
    process.send!({ ok: false, error: (err as Error).message });
    setImmediate(() => process.exit(0));
    return;
  }
  process.send!({ ok: true, ready: true });
  let queue = Promise.resolve();
  process.on('message', (message: Message) => {
    queue = queue.then(async () => {
      try {
        process.send!({ ok: true, ...(await handle(message)) });
      } catch (err) {
        process.send!({ ok: false, error: (err as Error).message.split('\n')[0] });
      }
    });
  });
}

await main();
