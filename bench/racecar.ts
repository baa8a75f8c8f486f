/**
 * Racecar overhead: training step time with the racecar term (the full chained reverse pass)
 * and with SRIP orthogonality, against plain training — same backend, same model shape, same
 * batch. The variants are stepped interleaved (Std, RR, Ort, Std, …; `compareInterleaved`)
 * and their median step times compared, so load changes on a shared machine hit all alike.
 *
 *   npx tsx bench/racecar.ts [wasm|cpu] [rounds]      (writes bench/results/racecar-<backend>.{json,md})
 *
 * Cases: MLP 784-256-256-10 batch 128 and the zoo `cnn` (conv 32 / pool / conv 64 / pool /
 * dense) batch 32 on 28×28×1 inputs. The aim: RR / Std ≤ 2.0.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Random,
  Trainer,
  buildModel,
  makeBatch,
  makeDataset,
  racecar as rr,
  type Batch,
  type RegularizationTerm,
} from '../src/index.js';

const { orthogonality, racecar } = rr;
import { compareInterleaved, num, writeResults, type BenchBackend } from './harness.js';

const backend = (process.argv[2] ?? 'wasm') as BenchBackend;
const rounds = Number(process.argv[3] ?? 15);

const variants: Record<string, () => RegularizationTerm[]> = {
  Std: () => [],
  RR: () => [racecar({ lambda: 1e-5 })],
  'Ort (SRIP)': () => [orthogonality({ factor: 0.1 })],
};

/** One trainer per variant (same initial weights) and one shared batch of random images. */
function setup(
  spec: string,
  batchSize: number,
): { trainers: Record<string, Trainer>; batch: Batch } {
  const rng = new Random(0);
  const x = Float32Array.from({ length: batchSize * 784 }, () => rng.uniform());
  const labels = Int32Array.from({ length: batchSize }, (_, i) => i % 10);
  const data = makeDataset({ name: 'bench', x, labels, sampleShape: [28, 28, 1], numClasses: 10 });
  const trainers = Object.fromEntries(
    Object.entries(variants).map(([name, terms]) => {
      const model = buildModel(spec, {
        inputShape: [28, 28, 1],
        numClasses: 10,
        rng: new Random(1),
      });
      return [
        name,
        new Trainer({ model, optimizer: tf.train.adam(1e-4), terms: terms(), rng: new Random(2) }),
      ];
    }),
  );
  return {
    trainers,
    batch: makeBatch(
      data,
      Int32Array.from({ length: batchSize }, (_, i) => i),
    ),
  };
}

const cases: [string, string, number][] = [
  ['mlp 784-256-256-10, batch 128', 'mlp:256,256', 128],
  ['cnn, batch 32', 'cnn', 32],
];
const rows: { name: string; variant: string; msPerStep: number; ratio: number; rounds: number }[] =
  [];
for (const [name, spec, batchSize] of cases) {
  const result = await compareInterleaved({
    name,
    backend,
    samplesPerStep: batchSize,
    rounds,
    warmup: 2,
    setup: () => setup(spec, batchSize),
    teardown: ({ trainers, batch }) => {
      Object.values(trainers).forEach((trainer) => trainer.model.dispose());
      tf.dispose([batch.x, batch.y]);
    },
    variants: Object.fromEntries(
      Object.keys(variants).map((variant) => [
        variant,
        {
          step: ({ trainers, batch }: ReturnType<typeof setup>) =>
            trainers[variant].trainStep(batch),
        },
      ]),
    ),
  });
  const std = result[0].msPerStep;
  for (const row of result) {
    rows.push({
      name,
      variant: row.variant,
      msPerStep: row.msPerStep,
      ratio: row.msPerStep / std,
      rounds,
    });
    console.log(
      `${name} ${row.variant}: median ${num(row.msPerStep, 1)} ms/step, ${num(row.msPerStep / std, 2)}× Std`,
    );
  }
}
await writeResults(
  `bench/results/racecar-${backend}`,
  rows,
  [
    { key: 'name', title: 'model' },
    { key: 'variant', title: 'terms' },
    { key: 'msPerStep', title: 'median ms/step', format: (v) => num(v, 1) },
    { key: 'ratio', title: '× Std', format: (v) => num(v, 2) },
    { key: 'rounds', title: 'rounds' },
  ],
  `Racecar overhead, backend ${backend}, variants interleaved, median of ${rounds} steps each (\`npx tsx bench/racecar.ts ${backend} ${rounds}\`).`,
);
