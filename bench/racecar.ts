/**
 * Racecar overhead: training step time with the racecar term (the full chained reverse pass)
 * against plain training, same backend, same model, same batch. Also SRIP orthogonality.
 *
 *   npx tsx bench/racecar.ts [wasm|cpu] [seconds]      (writes bench/results/racecar-<backend>.{json,md})
 *
 * Cases: MLP 784-256-256-10 batch 128 and the zoo `cnn` (conv 32 / pool / conv 64 / pool /
 * dense) batch 32 on 28×28×1 inputs. The aim: RR / Std ≤ 2.0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../src/core/random.js';
import { makeDataset, makeBatch, type Batch } from '../src/data/dataset.js';
import { buildModel } from '../src/models/zoo.js';
import { Trainer } from '../src/train/trainer.js';
import type { RegularizationTerm } from '../src/train/term.js';
import { orthogonality, racecar } from '../src/racecar/index.js';
import {
  measureThroughput,
  num,
  writeResults,
  type BenchBackend,
  type ThroughputResult,
} from './harness.js';

const backend = (process.argv[2] ?? 'wasm') as BenchBackend;
const seconds = Number(process.argv[3] ?? 4);

function setup(
  spec: string,
  batchSize: number,
  terms: () => RegularizationTerm[],
): () => { trainer: Trainer; batch: Batch } {
  return () => {
    const rng = new Random(0);
    const x = Float32Array.from({ length: batchSize * 784 }, () => rng.uniform());
    const labels = Int32Array.from({ length: batchSize }, (_, i) => i % 10);
    const data = makeDataset({
      name: 'bench',
      x,
      labels,
      sampleShape: [28, 28, 1],
      numClasses: 10,
    });
    const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, rng });
    const trainer = new Trainer({ model, optimizer: tf.train.adam(1e-4), terms: terms(), rng });
    return {
      trainer,
      batch: makeBatch(
        data,
        Int32Array.from({ length: batchSize }, (_, i) => i),
      ),
    };
  };
}

const cases: [string, string, number][] = [
  ['mlp 784-256-256-10', 'mlp:256,256', 128],
  ['cnn', 'cnn', 32],
];
const variants: [string, () => RegularizationTerm[]][] = [
  ['Std', () => []],
  ['RR', () => [racecar({ lambda: 1e-5 })]],
  ['Ort (SRIP)', () => [orthogonality({ factor: 0.1 })]],
];

type Row = ThroughputResult & { variant: string; ratio: number };
const rows: Row[] = [];
for (const [name, spec, batchSize] of cases) {
  let baseline = NaN;
  for (const [variant, terms] of variants) {
    const result = await measureThroughput({
      name,
      backend,
      samplesPerStep: batchSize,
      seconds,
      setup: setup(spec, batchSize, terms),
      step: ({ trainer, batch }) => trainer.trainStep(batch),
      teardown: ({ trainer, batch }) => {
        trainer.model.dispose();
        tf.dispose([batch.x, batch.y]);
      },
    });
    if (variant === 'Std') baseline = result.msPerStep;
    rows.push({ ...result, variant, ratio: result.msPerStep / baseline });
    console.log(
      `${name} ${variant}: ${num(result.msPerStep, 1)} ms/step, ${num(result.msPerStep / baseline, 2)}× Std${result.error ? ' ERROR ' + result.error : ''}`,
    );
  }
}
await writeResults(
  `bench/results/racecar-${backend}`,
  rows,
  [
    { key: 'name', title: 'model' },
    { key: 'variant', title: 'terms' },
    { key: 'msPerStep', title: 'ms/step', format: (v) => num(v, 1) },
    { key: 'ratio', title: '× Std', format: (v) => num(v, 2) },
    { key: 'samplesPerSec', title: 'samples/s', format: (v) => num(v) },
    { key: 'leakedPerStep', title: 'leaked/step', format: (v) => num(v, 1) },
  ],
  `Racecar overhead, backend ${backend}, ${seconds} s per case (\`npx tsx bench/racecar.ts ${backend} ${seconds}\`).`,
);
