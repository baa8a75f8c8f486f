/**
 * `npx tsx bench/profile.ts [--backend wasm] [--model mlp|cnn|resnet] [--batch 128] [--steps 20]
 *   [--pixels unit|raw] [--term rr|per|dr|srip] [--optimizer momentum|circle|orthogonal|orthogonal-shake10]`
 *
 * Where a training step's time goes: every kernel registered for the backend is wrapped with a
 * timer (kernels of the cpu, wasm and native backends run synchronously, so the wall time around
 * `kernelFunc` is the kernel's time), then `steps` trainer steps (momentum SGD, the zoo model,
 * seeded uniform data in [0, 1) or, with `--pixels raw`, in [0, 255); `--optimizer` swaps
 * momentum SGD for bench:compare's constrained Langevin variants at the same lr and μ) are timed. Prints the
 * kernels by total time, with calls per step and the share of the step, and the time spent
 * outside kernels (engine bookkeeping, the gradient tape, JavaScript glue). On native, a
 * deferred product (src/backend/native-backend.ts) is computed inside whichever kernel first
 * reads it: that time is moved from the reading kernel to a row `<kernel> (deferred)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernelCounts } from '../src/backend/native-kernels.js';
import {
  Random,
  Trainer,
  buildModel,
  diversify,
  langevin,
  makeBatch,
  makeDataset,
  per,
  racecar,
  type RegularizationTerm,
} from '../src/index.js';
import { num, useBenchBackend, type BenchBackend } from './harness.js';
import { BENCH_MODELS, type BenchModel } from './cases.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

/** Per-kernel totals. */
interface KernelTime {
  calls: number;
  ms: number;
  shapes: Set<string>;
}

/** Wraps every kernel of `backendName` with a timer; returns the totals and a function restoring them. */
function timeKernels(backendName: string): { times: Map<string, KernelTime>; restore: () => void } {
  const times = new Map<string, KernelTime>();
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const entry: KernelTime = { calls: 0, ms: 0, shapes: new Set() };
    times.set(config.kernelName, entry);
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const deferredBefore = nativeKernelCounts.deferredMs.total;
        const start = performance.now();
        const out = config.kernelFunc(args);
        entry.ms +=
          performance.now() - start - (nativeKernelCounts.deferredMs.total - deferredBefore);
        entry.calls++;
        if (entry.shapes.size < 4)
          entry.shapes.add(
            Object.values(args.inputs)
              .filter((t) => t != null)
              .map((t) => `[${(t as tf.TensorInfo).shape}]`)
              .join('·'),
          );
        return out;
      },
    });
  }
  const restore = () => {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  };
  return { times, restore };
}

/** The method terms of bench:compare, with its settings. */
const TERMS: Record<string, () => RegularizationTerm> = {
  rr: () => racecar.racecar({ lambda: 1e-5 }),
  per: () => per.per({ lambda: 1e-4, slices: 256 }),
  dr: () => diversify.diversify({ lambda: 1e-2, similarity: 'cosine' }),
  srip: () => racecar.orthogonality({ factor: 0.1 }),
};

/** The optimizers of bench:compare (lr 0.01, μ 0.9; Langevin through its {lr, momentum} mode). */
const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  momentum: () => tf.train.momentum(0.01, 0.9),
  circle: () => new langevin.UnderdampedLangevin({ lr: 0.01, constraints: 'circle:0.1@*' }),
  orthogonal: () => new langevin.UnderdampedLangevin({ lr: 0.01, constraints: 'orthogonal@*' }),
  'orthogonal-shake10': () =>
    new langevin.UnderdampedLangevin({
      lr: 0.01,
      constraints: 'orthogonal@*',
      shakeTol: 1e-30,
      shakeMaxIter: 10,
    }),
};

async function main(): Promise<void> {
  const backend = argument('backend', 'wasm') as BenchBackend;
  const modelKey = argument('model', 'mlp');
  const batchSize = Number(argument('batch', '128'));
  const steps = Number(argument('steps', '20'));
  const scale = argument('pixels', 'unit') === 'raw' ? 255 : 1;
  await useBenchBackend(backend);
  if (!(modelKey in BENCH_MODELS))
    throw new Error(`--model ${modelKey}: use ${Object.keys(BENCH_MODELS).join(', ')}`);
  const rng = new Random(0);
  const { spec, sampleShape } = BENCH_MODELS[modelKey as BenchModel];
  const shape = [...sampleShape];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: batchSize * size }, () => scale * rng.uniform());
  const labels = Int32Array.from({ length: batchSize }, (_, i) => i % 10);
  const data = makeDataset({ name: 'profile', x, labels, sampleShape: shape, numClasses: 10 });
  const model = buildModel(spec, { inputShape: shape, numClasses: 10, rng: new Random(1) });
  const term = argument('term', '');
  if (term && !TERMS[term]) throw new Error(`--term ${term}: use ${Object.keys(TERMS).join(', ')}`);
  const terms = term ? [TERMS[term]()] : [];
  const optimizerKey = argument('optimizer', 'momentum');
  if (!OPTIMIZERS[optimizerKey])
    throw new Error(`--optimizer ${optimizerKey}: use ${Object.keys(OPTIMIZERS).join(', ')}`);
  const optimizer = OPTIMIZERS[optimizerKey]();
  const trainer = new Trainer({ model, optimizer, terms, rng });
  const batch = makeBatch(
    data,
    Int32Array.from({ length: batchSize }, (_, i) => i),
  );
  for (let i = 0; i < 3; i++) trainer.trainStep(batch);
  const { times, restore } = timeKernels(tf.getBackend());
  const deferredBefore = new Map(nativeKernelCounts.deferredMs.byKernel);
  const start = performance.now();
  for (let i = 0; i < steps; i++) trainer.trainStep(batch);
  const total = (performance.now() - start) / steps;
  restore();
  for (const [kernel, ms] of nativeKernelCounts.deferredMs.byKernel) {
    const spent = ms - (deferredBefore.get(kernel) ?? 0);
    if (spent > 0) times.set(`${kernel} (deferred)`, { calls: NaN, ms: spent, shapes: new Set() });
  }
  const rows = [...times.entries()]
    .filter(([, t]) => t.calls > 0 || Number.isNaN(t.calls))
    .sort((a, b) => b[1].ms - a[1].ms);
  const inKernels = rows.reduce((s, [, t]) => s + t.ms, 0) / steps;
  console.log(
    `${modelKey}${term ? ` + ${term}` : ''}${optimizerKey === 'momentum' ? '' : `, ${optimizerKey}`} batch ${batchSize} on ${tf.getBackend()} (${backend}), pixels ×${scale}: ` +
      `${num(total, 2)} ms/step (${num((batchSize * 1000) / total)} samples/s), ` +
      `${num(inKernels, 2)} ms in kernels, ${num(total - inKernels, 2)} ms outside`,
  );
  for (const [name, t] of rows) {
    console.log(
      `${name.padEnd(24)} ${num(t.ms / steps, 3).padStart(8)} ms  ${num((100 * t.ms) / steps / total, 1).padStart(5)}%  ` +
        `${num(t.calls / steps, 1).padStart(5)} calls  ${[...t.shapes].join(' ')}`,
    );
  }
  if (backend === 'native') {
    const { computed, skipped } = nativeKernelCounts.deferred;
    console.log(`deferred outputs: ${computed} computed, ${skipped} skipped (never read)`);
    const fallbacks = [...nativeKernelCounts.fallback].map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`kernels handed to the cpu backend: ${fallbacks || 'none'}`);
  }
  model.dispose();
  tf.dispose([batch.x, batch.y]);
}

await main();
