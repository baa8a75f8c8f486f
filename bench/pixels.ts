/**
 * `npx tsx bench/pixels.ts [--backend wasm] [--rounds 15]`
 *
 * Does the pixel scale change the step time? docs/racecar.md saw raw 0–255 pixels make a peak
 * step ~2× slower than [0, 1] pixels (suspected: denormal floats). Same model as the racecar
 * peak example (784→128→2, BN + ReLU after both dense layers, softmax), full batch of 100
 * peak images, Adam 1e-4, trainer steps with raw and with [0, 1] pixels interleaved; also the
 * fraction of denormal values among the step's gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random, Trainer, loadPeak, makeBatch, type Batch } from '../src/index.js';
import { compareInterleaved, num, type BenchBackend } from './harness.js';
import { peakModel } from '../examples/racecar-shared.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

/** Fraction of nonzero float32 values below the smallest normal (1.18e-38) in absolute value. */
function denormalShare(values: Float32Array): number {
  let count = 0;
  for (const v of values) if (v !== 0 && Math.abs(v) < 1.1754943508222875e-38) count++;
  return count / values.length;
}

const backend = argument('backend', 'wasm') as BenchBackend;
const rounds = Number(argument('rounds', '15'));
const setups: Record<string, { trainer: Trainer; batch: Batch }> = {};
const rows = await compareInterleaved({
  name: 'peak 784-128-2 BN, batch 100, adam 1e-4',
  backend,
  samplesPerStep: 100,
  rounds,
  warmup: 3,
  setup: () => {
    for (const raw of [false, true]) {
      const peak = loadPeak({ trainSize: 100, testSize: 10, rawPixels: raw, rng: new Random(0) });
      const trainer = new Trainer({
        model: peakModel(new Random(1)),
        optimizer: tf.train.adam(1e-4),
        rng: new Random(2),
      });
      setups[raw ? 'raw' : 'unit'] = {
        trainer,
        batch: makeBatch(
          peak.train,
          Int32Array.from({ length: 100 }, (_, i) => i),
        ),
      };
    }
    return setups;
  },
  variants: {
    '[0, 1] pixels': { step: (s) => s.unit.trainer.trainStep(s.unit.batch) },
    '0–255 pixels': { step: (s) => s.raw.trainer.trainStep(s.raw.batch) },
  },
});
for (const row of rows)
  console.log(`${row.variant}: ${num(row.msPerStep, 2)} ms/step (${num(row.vsFirst, 2)}× speed)`);
for (const [name, { trainer, batch }] of Object.entries(setups)) {
  const { grads, value } = tf.variableGrads(() => {
    const y = trainer.model.apply(batch.x, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(batch.y, y) as tf.Scalar;
  });
  const shares = Object.entries(grads).map(
    ([v, g]) =>
      `${v.split('/').slice(-2).join('/')} ${num(100 * denormalShare(g.dataSync() as Float32Array), 2)}%`,
  );
  console.log(
    `${name}: loss ${num(value.dataSync()[0], 4)}; denormal gradients: ${shares.join(', ')}`,
  );
  tf.dispose([value, ...Object.values(grads)]);
}
