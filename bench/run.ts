/**
 * `npm run bench [-- --backends cpu,wasm-stock,wasm,native,webgpu --models mlp,conv --quick --seconds N
 *   --timeout S]`
 *
 * Training throughput (samples/s, `model.fit` on seeded synthetic data, warm-up excluded) and
 * memory of two reference models on each backend. Each case runs in its own Node process so that
 * RSS and the wasm heap of one case do not leak into the next. Writes bench/results/backends.json
 * and bench/results/backends.md.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../src/index.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/backend/wasm-kernels.js';
import {
  INTERLEAVED_COLUMNS,
  compareInterleaved,
  markdownTable,
  THROUGHPUT_COLUMNS,
  measureThroughput,
  num,
  writeResults,
  type BenchBackend,
  type Column,
  type InterleavedRow,
  type ThroughputResult,
} from './harness.js';

const BATCH = 128;
const CLASSES = 10;

/** A benchmarked model: its layers, input shape, and how many batches one `fit` call covers. */
interface ModelCase {
  title: string;
  inputShape: number[];
  layers: (seed: () => number) => tfl.layers.Layer[];
  batchesPerFit: (backend: BenchBackend) => number;
}

const init = (seed: () => number) => ({
  kernelInitializer: tfl.initializers.glorotUniform({ seed: seed() }),
});

const MODELS: Record<string, ModelCase> = {
  mlp: {
    title: 'MLP 784-256-256-10',
    inputShape: [784],
    layers: (seed) => [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu', ...init(seed) }),
      tfl.layers.dense({ units: 256, activation: 'relu', ...init(seed) }),
      tfl.layers.dense({ units: CLASSES, activation: 'softmax', ...init(seed) }),
    ],
    batchesPerFit: (backend) => (backend === 'cpu' ? 2 : 8),
  },
  conv: {
    title: 'conv32-pool-conv64-pool-dense10',
    inputShape: [28, 28, 1],
    layers: (seed) => [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        ...init(seed),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', ...init(seed) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: CLASSES, activation: 'softmax', ...init(seed) }),
    ],
    batchesPerFit: (backend) => (backend === 'cpu' ? 1 : 2),
  },
};

interface Options {
  backends: BenchBackend[];
  models: string[];
  quick: boolean;
  seconds?: number;
  /** Wall-clock limit per case in seconds (cpu conv under load can take many minutes). */
  timeout: number;
}

function parseArgs(argv: string[]): Options & { one?: string } {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seconds = value('--seconds');
  return {
    backends: (value('--backends') ?? 'cpu,wasm-stock,wasm,native,webgpu').split(
      ',',
    ) as BenchBackend[],
    models: (value('--models') ?? 'mlp,conv').split(','),
    quick: argv.includes('--quick'),
    seconds: seconds ? Number(seconds) : undefined,
    timeout: Number(value('--timeout') ?? (argv.includes('--quick') ? 120 : 600)),
    one: value('--one'),
  };
}

/** Seeded synthetic inputs and one-hot labels. */
function syntheticData(
  inputShape: number[],
  n: number,
  rng: Random,
): { x: tf.Tensor; y: tf.Tensor } {
  const x = Float32Array.from({ length: n * tf.util.sizeFromShape(inputShape) }, () =>
    rng.normal(),
  );
  const labels = Int32Array.from({ length: n }, () => rng.int(CLASSES));
  return {
    x: tf.tensor(x, [n, ...inputShape]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES),
  };
}

/** A compiled model (adam, cross-entropy) and `samples` seeded synthetic examples. */
function buildCase(m: ModelCase, samples: number) {
  const rng = new Random(1);
  const model = tfl.sequential({ layers: m.layers(() => rng.seed()) });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return { model, ...syntheticData(m.inputShape, samples, rng) };
}

function disposeCase({ model, x, y }: ReturnType<typeof buildCase>): void {
  model.dispose();
  tf.dispose([x, y]);
}

/** Measures one model on one backend, in this process. */
async function runCase(
  modelKey: string,
  backend: BenchBackend,
  opts: Options,
): Promise<ThroughputResult> {
  const m = MODELS[modelKey];
  const samples = BATCH * m.batchesPerFit(backend);
  return measureThroughput({
    name: m.title,
    backend,
    samplesPerStep: samples,
    warmup: opts.quick ? 1 : 2,
    minSteps: opts.quick ? 1 : 3,
    seconds: opts.seconds ?? (opts.quick ? 2 : 6),
    setup: () => buildCase(m, samples),
    step: ({ model, x, y }) =>
      model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 }),
    teardown: disposeCase,
  });
}

/** Stock vs fixed wasm kernels on the MLP, interleaved in one process (robust to machine load). */
async function wasmAB(opts: Options): Promise<InterleavedRow[]> {
  const m = MODELS.mlp;
  const samples = BATCH * m.batchesPerFit('wasm');
  const fit = ({ model, x, y }: Awaited<ReturnType<typeof buildCase>>) =>
    model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
  return compareInterleaved({
    name: m.title,
    backend: 'wasm',
    samplesPerStep: samples,
    rounds: opts.quick ? 5 : 11,
    setup: () => buildCase(m, samples),
    teardown: disposeCase,
    variants: {
      'stock kernels': { enter: uninstallWasmKernelFixes, step: fit },
      'reglab fixes': { enter: installWasmKernelFixes, step: fit },
    },
  });
}

/** Runs one case in a child Node process (clean heap and RSS) and parses its result line. */
function runIsolated(
  modelKey: string,
  backend: BenchBackend,
  argv: string[],
  timeout: number,
): ThroughputResult {
  const self = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', self, ...argv, '--one', `${modelKey}:${backend}`];
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeout * 1000,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line) return JSON.parse(line.slice('RESULT '.length)) as ThroughputResult;
  const why = child.signal
    ? `stopped after ${timeout} s (--timeout)`
    : (child.stderr.trim().split('\n').pop() ?? `exit ${child.status}`).slice(0, 200);
  return { name: MODELS[modelKey].title, backend, error: why } as ThroughputResult;
}

type Row = ThroughputResult & { vsCpu?: number };

const COLUMNS: Column<Row>[] = [
  ...THROUGHPUT_COLUMNS.slice(0, 3),
  { key: 'vsCpu', title: '× cpu', format: (v) => (typeof v === 'number' ? `${num(v, 1)}×` : '—') },
  ...THROUGHPUT_COLUMNS.slice(3),
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  if (opts.one) {
    const [modelKey, backend] = opts.one.split(':') as [string, BenchBackend];
    console.log(`RESULT ${JSON.stringify(await runCase(modelKey, backend, opts))}`);
    return;
  }
  const rows: Row[] = [];
  for (const modelKey of opts.models) {
    for (const backend of opts.backends) {
      const row: Row = runIsolated(modelKey, backend, argv, opts.timeout);
      const cpu = rows.find((r) => r.name === row.name && r.backend === 'cpu');
      if (cpu && !row.error && !cpu.error) row.vsCpu = row.samplesPerSec / cpu.samplesPerSec;
      rows.push(row);
      console.log(
        `${row.name} on ${backend}: ${row.error ? `fails: ${row.error}` : `${num(row.samplesPerSec)} samples/s`}`,
      );
    }
  }
  const cpus = os.cpus();
  const preamble =
    `Training throughput with \`model.fit\`, batch ${BATCH}, adam, synthetic seeded data, warm-up excluded.\n` +
    `Command: \`npm run bench -- ${argv.join(' ')}\`; ${new Date().toISOString().slice(0, 10)}, ` +
    `${cpus.length}× ${cpus[0]?.model.trim()}, load average ${os.loadavg()[0].toFixed(1)} at the end, Node ${process.version}.`;
  await writeResults('bench/results/backends', rows, COLUMNS, preamble);
  console.log(`\n${preamble}\n\n${markdownTable(rows, COLUMNS)}`);
  if (
    opts.backends.includes('wasm') &&
    opts.backends.includes('wasm-stock') &&
    opts.models.includes('mlp')
  ) {
    const ab = await wasmAB(opts);
    const abPreamble =
      'wasm stock kernels vs reglab fixes, interleaved fit calls in one process (medians):';
    await writeResults('bench/results/backends-wasm-ab', ab, INTERLEAVED_COLUMNS, abPreamble);
    console.log(`\n${abPreamble}\n\n${markdownTable(ab, INTERLEAVED_COLUMNS)}`);
  }
}

await main();
