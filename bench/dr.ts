/**
 * `npx tsx bench/dr.ts [--backend wasm] [--seconds 3] [--rounds 2] [--rbm]`
 *
 * Step time of the trainer with and without discriminative DR on the MLP 784-256-256-10
 * (sigmoid), batch 128, DR on both hidden layers, seeded synthetic data with 10 classes.
 * DR adds one 128×256·256×128 Gram product per layer forward and its backward (~8 M
 * multiply-adds each against ~103 M for the plain step), plus [128, 128] elementwise work.
 * Baselines beside it: DeCov (src/per) and center loss. Writes bench/results/dr-<backend>.{json,md}.
 *
 * `--rbm`: one CD-1 update of a 784-500 RBM at batch 50 (the DBN's first level in experiment
 * a), plain and with generative DR (512 pairs); writes bench/results/dr-rbm-<backend>.{json,md}.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Random,
  Trainer,
  buildModel,
  diversify as dr,
  generativeDr,
  makeBatch,
  makeDataset,
  per,
  type Batch,
  type RegularizationTerm,
} from '../src/index.js';

const { centerLoss, diversify } = dr;
const { decov } = per;
const { Rbm, cdStep, uniformFrom } = generativeDr;
type Rbm = generativeDr.Rbm;
type CdOptions = generativeDr.CdOptions;
import {
  bestOfRounds,
  measureThroughput,
  num,
  writeResults,
  type BenchBackend,
  type ThroughputResult,
  type ThroughputSpec,
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

/** A bench case: a throughput spec without name and backend. */
type Case = Omit<ThroughputSpec<unknown>, 'name' | 'backend'>;

function trainerCase(terms: () => RegularizationTerm[]): Case {
  return {
    samplesPerStep: BATCH,
    warmup: 3,
    setup: () => setup(terms()),
    step: (state) => (state as State).trainer.trainStep((state as State).batch),
    teardown: (state) => {
      const { trainer, batch } = state as State;
      trainer.model.dispose();
      tf.dispose([batch.x, batch.y, ...trainer.terms.flatMap((t) => t.variables ?? [])]);
    },
  };
}

const RBM_BATCH = 50;
interface RbmState {
  rbm: Rbm;
  v: tf.Tensor2D;
  labels: Int32Array;
  options: CdOptions;
}

/** One CD-1 update of a 784-500 RBM on a fixed binary batch, with `dr` when given. */
function rbmCase(dr?: CdOptions['dr']): Case {
  return {
    samplesPerStep: RBM_BATCH,
    warmup: 3,
    setup: (): RbmState => {
      const rng = new Random(0);
      const v = tf.tidy(() =>
        tf.cast(tf.less(rng.uniformTensor([RBM_BATCH, 784]), 0.2), 'float32'),
      ) as tf.Tensor2D;
      return {
        rbm: Rbm.random(784, 500, rng),
        v,
        labels: Int32Array.from({ length: RBM_BATCH }, (_, i) => i % 10),
        options: { lr: 0.1, uniform: uniformFrom(rng), rng, dr },
      };
    },
    step: (state) => {
      const { rbm, v, labels, options } = state as RbmState;
      tf.dispose(cdStep(rbm, v, options, labels).drPenalty);
    },
    teardown: (state) => {
      (state as RbmState).rbm.dispose();
      (state as RbmState).v.dispose();
    },
  };
}

const RBM_CASES: Record<string, () => Case> = {
  'cd-1': () => rbmCase(),
  'cd-1 + DR bhattacharyya': () => rbmCase({ lambda: 1, maxPairs: 512 }),
  'cd-1 + DR symmetric-kl': () => rbmCase({ divergence: 'symmetric-kl', lambda: 1, maxPairs: 512 }),
};

async function main(): Promise<void> {
  const backend = argument('backend', 'wasm') as BenchBackend;
  const seconds = Number(argument('seconds', '3'));
  const rounds = Number(argument('rounds', '2'));
  const rbm = process.argv.includes('--rbm');
  const cases: Record<string, () => Case> = rbm
    ? RBM_CASES
    : Object.fromEntries(
        Object.entries(CASES).map(([name, terms]) => [name, () => trainerCase(terms)]),
      );
  const results: ThroughputResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, build] of Object.entries(cases)) {
      const result = await measureThroughput({ ...build(), name, backend, seconds });
      results.push(result);
      console.log(
        `${name}: ${num(result.msPerStep, 1)} ms/step${result.error ? ' ' + result.error : ''}`,
      );
    }
  }
  const { rows, columns } = bestOfRounds(results, Object.keys(cases), `× ${Object.keys(cases)[0]}`);
  const what = rbm
    ? `RBM 784-500, one CD-1 update at batch ${RBM_BATCH}, DR over 512 different-class pairs`
    : `MLP 784-256-256-10 sigmoid, batch ${BATCH}, DR on dense_1 and dense_2`;
  const preamble = `${what}, backend ${backend}, best of ${rounds} rounds of ≥ ${seconds} s (\`npx tsx bench/dr.ts --backend ${backend}${rbm ? ' --rbm' : ''}\`)`;
  await writeResults(`bench/results/dr-${rbm ? 'rbm-' : ''}${backend}`, rows, columns, preamble);
  console.log(preamble);
  for (const row of rows)
    console.log(`${row.name.padEnd(26)} ${num(row.msPerStep, 1)} ms/step  ${num(row.ratio, 2)}×`);
}

await main();
