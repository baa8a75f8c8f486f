/**
 * Racecar example (b): the official "peak" test (tum-pbs/racecar).
 *
 * 784→128→2 with BN + ReLU after both dense layers (also on the 2 logits, as the official
 * code), then softmax; full batch of 100 generated peak images (raw 0–255), Adam lr 1e-4,
 * double softmax; Std vs Ort (SRIP 0.1) vs RR (λ = 1e-6, sum; the reverse pass starts before the
 * softmax, as the official code) vs RR-probabilities (our variant: from the softmax output).
 *
 * Score, per test image: the class evidence of its reconstruction d'_1, i.e. the Pearson
 * correlation with its *own* class's disc minus the correlation with the *other* class's disc
 * (`peakTemplate`) — a reconstruction that shows "a disc somewhere" or both discs scores ≈ 0.
 * Mean over the test images, with BN in inference mode (moving statistics) and in training mode
 * (the test batch's own statistics, as in training). Spread: how much d'_1 varies across the
 * test images, mean over pixels of the standard deviation across images divided by the mean
 * over pixels of |the mean image| — 0 for a reconstruction that is the same image for every input.
 *
 *   STEPS=5000 SEEDS=3 npx tsx examples/racecar-peak.ts   (writes runs/examples/racecar-peak/)
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random, Trainer, disposeBatch, loadPeak, peakTemplate } from '../src/index.js';
import {
  METHODS,
  peakModel,
  correlation,
  meanStd,
  doubleSoftmaxLoss,
  exampleBackend,
  fullBatch,
  termsFor,
  writeJson,
  writeReconstructions,
} from './racecar-shared.js';

const OUT = 'runs/examples/racecar-peak';
const STEPS = Number(process.env.STEPS ?? 5000);
const SEEDS = Number(process.env.SEEDS ?? 3);
const PIXELS = 784;

const backend = await exampleBackend();
const peak = loadPeak({ trainSize: 100, testSize: 10, rawPixels: true, rng: new Random(0) });
const templates = [0, 1].map((c) => peakTemplate(c, true));
const testLabels = Array.from(peak.test.labels);
const report: Record<string, unknown> = { backend, steps: STEPS, seeds: SEEDS };

/** Own-class minus other-class disc correlation of every reconstruction. */
function classEvidence(recs: Float32Array): number[] {
  return testLabels.map((label, i) => {
    const image = recs.subarray(i * PIXELS, (i + 1) * PIXELS);
    return correlation(image, templates[label]) - correlation(image, templates[1 - label]);
  });
}

/** Mean per-pixel standard deviation across images over the mean |mean image| (0 = constant). */
function spread(recs: Float32Array): number {
  const n = recs.length / PIXELS;
  let sd = 0;
  let level = 0;
  for (let p = 0; p < PIXELS; p++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += recs[i * PIXELS + p] / n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (recs[i * PIXELS + p] - mean) ** 2 / (n - 1);
    sd += Math.sqrt(variance) / PIXELS;
    level += Math.abs(mean) / PIXELS;
  }
  return level > 0 ? sd / level : 0;
}

const average = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

for (const method of [...METHODS, 'RR-probabilities'] as const) {
  const perSeed: Record<string, number>[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rng = new Random(seed);
    const model = peakModel(rng);
    const trainer = new Trainer({
      model,
      optimizer: tf.train.adam(1e-4),
      terms: termsFor(method, 1e-6, 0.1),
      loss: doubleSoftmaxLoss,
      rng,
    });
    const batch = fullBatch(peak.train);
    const started = performance.now();
    let last = trainer.trainStep(batch);
    for (let step = 1; step < STEPS; step++) last = trainer.trainStep(batch);
    disposeBatch(batch);
    const seconds = (performance.now() - started) / 1000;
    const test = trainer.evaluate(peak.test);
    const scores: Record<string, number> = {
      seconds,
      trainAccuracy: last.accuracy,
      testAccuracy: test.accuracy,
    };
    for (const training of [false, true]) {
      const mode = training ? 'batchStats' : 'moving';
      const recs = await writeReconstructions(
        `${OUT}/${method}-seed${seed}-reconstructions-${training ? 'batchstats' : 'moving'}.png`,
        model,
        peak.test,
        { training },
      );
      scores[`${mode}Evidence`] = average(classEvidence(recs));
      scores[`${mode}Spread`] = spread(recs);
    }
    perSeed.push(scores);
    console.log(
      `${method} seed ${seed}: ${STEPS} steps ${seconds.toFixed(0)} s, train acc ${last.accuracy.toFixed(2)}, test acc ${test.accuracy.toFixed(2)}, ` +
        `class evidence moving ${scores.movingEvidence.toFixed(3)} (spread ${scores.movingSpread.toFixed(3)}) / ` +
        `batch stats ${scores.batchStatsEvidence.toFixed(3)} (spread ${scores.batchStatsSpread.toFixed(3)}), terms ${JSON.stringify(last.terms)}`,
    );
    model.dispose();
  }
  const summary = Object.fromEntries(
    Object.keys(perSeed[0]).map((key) => [key, meanStd(perSeed.map((s) => s[key]))]),
  );
  report[method] = { perSeed, summary };
  console.log(
    `${method}: ` +
      Object.entries(summary)
        .filter(([key]) => key !== 'seconds')
        .map(([key, { mean, std }]) => `${key} ${mean.toFixed(3)} ± ${std.toFixed(3)}`)
        .join(', '),
  );
}
await writeJson(`${OUT}/results.json`, report);
console.log(`wrote ${OUT}/; backend ${backend}`);
