/**
 * `npx tsx bench/dr.ts [--backend wasm] [--seconds 3] [--rounds 2]`
 *
 * Step time of the trainer with and without discriminative DR on the MLP 784-256-256-10
 * (sigmoid), batch 128, DR on both hidden layers, seeded synthetic data with 10 classes.
 * DR adds one 128×256·256×128 Gram product per layer forward and its backward (~8 M
 * multiply-adds each against ~103 M for the plain step), plus [128, 128] elementwise work.
 * Baselines beside it: DeCov (src/per) and center loss. Writes bench/results/dr-<backend>.{json,md}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../src/core/random.js';
import { makeBatch, makeDataset, type Batch } from '../src/data/dataset.js';
import { centerLoss, diversify } from '../src/diversify/index.js';
import { buildModel } from '../src/models/zoo.js';
import { decov } from '../src/per/index.js';
import type { RegularizationTerm } from '../src/train/term.js';
import { Trainer } from '../src/train/trainer.js';
import {
  THROUGHPUT_COLUMNS,
  type Column,
  measureThroughput,
  num,
  writeResults,
  type BenchBackend,
  type ThroughputResult,
} from './harness.js';

const BATCH = 128;
const LAYERS = ['dense_1', 'dense_2'];

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const CASES: Record<string, () => RegularizationTerm[]> = {
  vanilla: () => [],
  'dr cosine': () => [diversify({ lambda: 1e-2, similarity: 'cosine', layers: LAYERS })],
  'dr rbf': () => [diversify({ lambda: 1e-2, similarity: 'rbf', layers: LAYERS })],
  'dr margin': () => [diversify({ lambda: 1e-2, similarity: 'margin', layers: LAYERS })],
  'dr cosine, maxPairs 1024': () => [diversify({ lambda: 1e-2, layers: LAYERS, maxPairs: 1024 })],
  decov: () => [decov({ lambda: 1e-4, layers: LAYERS })],
  center: () => [centerLoss({ lambda: 1e-3, layer: 'dense_2' })],
};

interface State {
  trainer: Trainer;
  batch: Batch;
}

function setup(terms: RegularizationTerm[]): State {
  const rng = new Random(0);
  const x = Float32Array.from({ length: BATCH * 784 }, () => rng.uniform());
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  const data = makeDataset({ name: 'synthetic', x, labels, sampleShape: [784], numClasses: 10 });
  const model = buildModel('mlp:256,256', {
    inputShape: [784],
    numClasses: 10,
    rng,
    activation: 'sigmoid',
  });
  const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.01), terms, rng });
  return {
    trainer,
    batch: makeBatch(
      data,
      Int32Array.from({ length: BATCH }, (_, i) => i),
    ),
  };
}

async function main(): Promise<void> {
  const backend = argument('backend', 'wasm') as BenchBackend;
  const seconds = Number(argument('seconds', '3'));
  const rounds = Number(argument('rounds', '2'));
  const results: ThroughputResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, terms] of Object.entries(CASES)) {
      const result = await measureThroughput<State>({
        name,
        backend,
        samplesPerStep: BATCH,
        seconds,
        warmup: 3,
        setup: () => setup(terms()),
        step: (state) => state.trainer.trainStep(state.batch),
        teardown: (state) => {
          state.trainer.model.dispose();
          tf.dispose([
            state.batch.x,
            state.batch.y,
            ...state.trainer.terms.flatMap((t) => t.variables ?? []),
          ]);
        },
      });
      results.push(result);
      console.log(
        `${name}: ${num(result.msPerStep, 1)} ms/step${result.error ? ' ' + result.error : ''}`,
      );
    }
  }
  // Best of the rounds per case (the least disturbed by other load), then ratios to vanilla.
  const best = Object.keys(CASES).map((name) =>
    results.filter((r) => r.name === name).reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a)),
  );
  const vanilla = best[0].msPerStep;
  const rows = best.map((r) => ({ ...r, ratio: r.msPerStep / vanilla }));
  const columns: Column<(typeof rows)[number]>[] = [
    ...(THROUGHPUT_COLUMNS as unknown as Column<(typeof rows)[number]>[]),
    { key: 'ratio', title: '× vanilla', format: (v: unknown) => num(v, 2) },
  ];
  const preamble = `MLP 784-256-256-10 sigmoid, batch ${BATCH}, DR on dense_1 and dense_2, backend ${backend}, best of ${rounds} rounds of ≥ ${seconds} s (\`npx tsx bench/dr.ts --backend ${backend}\`)`;
  await writeResults(`bench/results/dr-${backend}`, rows, columns, preamble);
  console.log(preamble);
  for (const row of rows)
    console.log(`${row.name.padEnd(26)} ${num(row.msPerStep, 1)} ms/step  ${num(row.ratio, 2)}×`);
}

await main();
