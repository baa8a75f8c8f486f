/**
 * `npx tsx bench/mi.ts [--backend wasm] [--samples 2000] [--rounds 3]`
 *
 * What the mutual-information monitor costs per epoch, against one training epoch, in one run
 * (variants interleaved, median of rounds): the MLP 784-256-256-10 (ReLU) of the demo, 5,000
 * seeded synthetic images, batch 64, Adam; the monitor on `--samples` held-out images with each
 * estimator (three blocks each). Also the distance matrix alone, from the backend's matMul
 * (./src/analysis/mutual-information/distances.ts) against a brute-force O(N²·D) loop over
 * Float32Arrays, at N = `--samples`, D = 256. Writes bench/results/mi-<backend>.{json,md}.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Random,
  Trainer,
  buildModel,
  forwardTrace,
  makeBatch,
  makeDataset,
  mutualInformation,
  mutualInformationMonitor,
  type Batch,
  type Dataset,
} from '../src/index.js';

const { SquaredDistances } = mutualInformation;
import {
  compareInterleaved,
  INTERLEAVED_COLUMNS,
  writeResults,
  type BenchBackend,
} from './harness.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const backend = argument('backend', 'wasm') as BenchBackend;
const samples = Number(argument('samples', '2000'));
const rounds = Number(argument('rounds', '3'));

/** Seeded synthetic MNIST-shaped data: 10 class prototypes plus noise, pixels in [0, 1]. */
function syntheticImages(n: number, seed: number): Dataset {
  const random = new Random(seed);
  const prototypes = Array.from({ length: 10 }, () =>
    Float32Array.from({ length: 784 }, () => (random.uniform() < 0.2 ? 1 : 0)),
  );
  const labels = Int32Array.from({ length: n }, () => random.int(10));
  const x = new Float32Array(n * 784);
  labels.forEach((y, i) => {
    for (let p = 0; p < 784; p++)
      x[i * 784 + p] = Math.min(1, Math.max(0, prototypes[y][p] + 0.3 * random.normal()));
  });
  return makeDataset({ name: 'synthetic', x, labels, sampleShape: [28, 28, 1], numClasses: 10 });
}

interface State {
  trainer: Trainer;
  train: Dataset;
  held: Batch;
  hidden: tf.Tensor2D;
}

/** O(N²·D) squared distances in plain JavaScript (upper triangle, mirrored). */
function bruteDistances(values: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0, a = i * d, b = j * d; k < d; k++) {
        const e = values[a + k] - values[b + k];
        s += e * e;
      }
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

const monitors = {
  'mi knn (KSG + Ross), k=3': mutualInformationMonitor({ estimator: 'knn' }),
  'mi binning, top-2 PCs, 30 bins': mutualInformationMonitor({ estimator: 'binning' }),
  'mi binning, every unit (old default)': mutualInformationMonitor({
    estimator: 'binning',
    dims: 0,
  }),
  'mi kde, σ²=1e-3': mutualInformationMonitor({ estimator: 'kde' }),
};

const rows = await compareInterleaved<State>({
  name: `mlp 784-256-256-10, monitor on ${samples}`,
  backend,
  samplesPerStep: samples,
  rounds,
  setup: () => {
    const rng = new Random(1);
    const model = buildModel('mlp:256,256', {
      inputShape: [28, 28, 1],
      numClasses: 10,
      rng: rng.derive('init'),
    });
    const trainer = new Trainer({ model, optimizer: tf.train.adam(1e-3), rng });
    const held = makeBatch(
      syntheticImages(samples, 2),
      Int32Array.from({ length: samples }, (_, i) => i),
    );
    const hidden = tf.tidy(() => {
      const trace = forwardTrace(model, held.x, false);
      return tf.reshape(trace.layers[1].output, [samples, -1]) as tf.Tensor2D;
    });
    return { trainer, train: syntheticImages(5000, 3), held, hidden };
  },
  variants: {
    'train 1 epoch (5,000 samples, batch 64)': {
      step: (s) => s.trainer.trainEpoch(s.train, 64),
    },
    ...Object.fromEntries(
      Object.entries(monitors).map(([name, monitor]) => [
        name,
        {
          step: (s: State) =>
            tf.tidy(() =>
              monitor.compute({
                trace: forwardTrace(s.trainer.model, s.held.x, false),
                batch: s.held,
                model: s.trainer.model,
                rng: new Random(0),
                step: 0,
              }),
            ),
        },
      ]),
    ),
    [`distances ${samples}×256 on the backend (matMul)`]: {
      step: (s) => {
        const distances = new SquaredDistances(s.hidden);
        distances.block(0, distances.blockRows);
        distances.dispose();
      },
    },
    [`distances ${samples}×256, brute-force JS loop`]: {
      step: (s) => bruteDistances(s.hidden.dataSync() as Float32Array, samples, s.hidden.shape[1]),
    },
  },
});

const path = `bench/results/mi-${backend}`;
await writeResults(path, rows, INTERLEAVED_COLUMNS);
console.log(`${path}.md\n`);
for (const row of rows) {
  console.log(`${row.variant.padEnd(48)} ${row.msPerStep.toFixed(0).padStart(7)} ms`);
}
