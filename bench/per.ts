/**
 * `npx tsx bench/per.ts [--backend wasm] [--seconds 4] [--rounds 2]` (`--rounds 0`: direction draws only)
 *
 * Step time of the trainer with and without PER on the MLP 784-256-256-10 (ReLU), batch 128,
 * s = 256 slices, seeded synthetic data. PER adds one 128×256·256×256 product per hidden layer
 * forward and one backward: ~34 M multiply-adds on top of the ~103 M of the plain step, so the
 * floor is ≈ 1.33×. Cases:
 *
 * - `vanilla`: task loss only.
 * - `per`: the PER term as shipped (`per({lambda, slices: 256})`: f with its closed-form
 *   gradient erf(x/√2), directions drawn every step).
 * - `per, autodiff f`: f by plain ops (autodiff through erf and exp).
 * - `per, fixed directions`: shipped f, directions drawn once (isolates the cost of drawing).
 * - `per, tf.randomNormal`: directions from `tf.randomNormal` instead of fast-normal.ts.
 *
 * Rounds alternate the cases so that machine load hits all of them alike. First, in isolation,
 * the time to draw one 256×256 direction matrix (best of 7 × 20): shipped (ziggurat, normalised
 * in JavaScript) vs `tf.randomNormal` + tf ops. Writes bench/results/per-<backend>.{json,md}.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ActivationSelector,
  Random,
  Trainer,
  buildModel,
  makeBatch,
  makeDataset,
  per as perMethod,
  type Batch,
  type RegularizationTerm,
} from '../src/index.js';

const { per, projectedError, projectedErrorFunction } = perMethod;
import {
  bestOfRounds,
  measureThroughput,
  num,
  useBenchBackend,
  writeResults,
  type BenchBackend,
  type ThroughputResult,
} from './harness.js';

const BATCH = 128;
const SLICES = 256;
const LAMBDA = 1e-4;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

/** A PER variant for the A/B cases: choice of f, and fresh or fixed directions. */
function perVariant(
  f: (x: tf.Tensor) => tf.Tensor,
  fixedDirections: boolean,
  tfNormals = false,
): RegularizationTerm {
  const selector = new ActivationSelector();
  const fixed: tf.Tensor2D[] = [];
  const directionRng = new Random(1);
  return {
    name: 'per',
    weight: LAMBDA,
    compute: ({ trace, model, rng }) =>
      tf.addN(
        selector.activations(trace, model).map(({ samples }, k) => {
          const d = samples.shape[1];
          if (fixedDirections && !fixed[k])
            fixed[k] = tf.keep(directionRng.unitDirections(d, SLICES));
          const directions = fixedDirections
            ? fixed[k]
            : tfNormals
              ? tfDirections(rng, d)
              : rng.unitDirections(d, SLICES);
          return tf.mean(f(tf.matMul(samples, directions)));
        }),
      ) as tf.Scalar,
  };
}

/** Directions from `tf.randomNormal` (the stock generator), for the A/B against fast-normal.ts. */
function tfDirections(rng: Random, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const v = rng.normalTensor([d, SLICES]);
    return tf.div(v, tf.sqrt(tf.sum(tf.square(v), 0, true))) as tf.Tensor2D;
  });
}

const CASES: Record<string, () => RegularizationTerm[]> = {
  vanilla: () => [],
  per: () => [per({ lambda: LAMBDA, slices: SLICES })],
  'per, autodiff f': () => [perVariant(projectedErrorFunction, false)],
  'per, fixed directions': () => [perVariant(projectedError, true)],
  'per, tf.randomNormal': () => [perVariant(projectedError, false, true)],
};

/** Best-of-7 time (ms) to draw one SLICES×SLICES direction matrix, per generator. */
function directionDrawTimes(): Record<string, number> {
  const rng = new Random(0);
  const cases: Record<string, () => tf.Tensor> = {
    'shipped (ziggurat, JS normalisation)': () => rng.unitDirections(SLICES, SLICES),
    'tf.randomNormal + tf normalisation': () => tfDirections(rng, SLICES),
  };
  const best: Record<string, number> = {};
  for (let round = 0; round < 7; round++) {
    for (const [name, draw] of Object.entries(cases)) {
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        // Not tf.tidy(() => t.dataSync()): tidy walks a returned typed array key by key (~150 ms).
        const directions = draw();
        directions.dataSync();
        directions.dispose();
      }
      best[name] = Math.min(best[name] ?? Infinity, (performance.now() - started) / 20);
    }
  }
  return best;
}

interface State {
  trainer: Trainer;
  batch: Batch;
}

function setup(terms: RegularizationTerm[]): State {
  const rng = new Random(0);
  const n = BATCH;
  const x = Float32Array.from({ length: n * 784 }, () => rng.uniform());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const data = makeDataset({ name: 'synthetic', x, labels, sampleShape: [784], numClasses: 10 });
  const model = buildModel('mlp:256,256', { inputShape: [784], numClasses: 10, rng });
  const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.01), terms, rng });
  return {
    trainer,
    batch: makeBatch(
      data,
      Int32Array.from({ length: n }, (_, i) => i),
    ),
  };
}

async function main(): Promise<void> {
  const backend = argument('backend', 'wasm') as BenchBackend;
  const seconds = Number(argument('seconds', '4'));
  const rounds = Number(argument('rounds', '2'));
  await useBenchBackend(backend);
  // Timed first, in a fresh process, before training cases churn the heap.
  const draws = directionDrawTimes();
  const drawLines = Object.entries(draws).map(
    ([name, ms]) => `- directions 256×256, ${name}: ${num(ms, 2)} ms`,
  );
  console.log(drawLines.join('\n'));
  if (rounds === 0) return;
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
          tf.dispose([state.batch.x, state.batch.y]);
        },
      });
      results.push(result);
      console.log(
        `${name}: ${num(result.msPerStep, 1)} ms/step${result.error ? ' ' + result.error : ''}`,
      );
    }
  }
  const { rows, columns } = bestOfRounds(results, Object.keys(CASES), '× vanilla');
  const preamble = `MLP 784-256-256-10, batch ${BATCH}, s = ${SLICES}, backend ${backend}, best of ${rounds} rounds of ≥ ${seconds} s (\`npx tsx bench/per.ts --backend ${backend}\`)`;
  await writeResults(
    `bench/results/per-${backend}`,
    rows,
    columns,
    `${preamble}\n\n${drawLines.join('\n')}`,
  );
  console.log(drawLines.join('\n'));
  console.log(preamble);
  for (const row of rows)
    console.log(`${row.name.padEnd(24)} ${num(row.msPerStep, 1)} ms/step  ${num(row.ratio, 2)}×`);
}

await main();
