/**
 * Racecar example (b): the official "peak" test (tum-pbs/racecar).
 *
 * 784→128→2 with BN + ReLU after both dense layers (also on the 2 logits, as the official
 * code), then softmax; full batch of 100 generated peak images (raw 0–255), Adam lr 1e-4,
 * double softmax; Std vs Ort (SRIP 0.1) vs RR (λ = 1e-6, sum). Score: Pearson correlation of
 * each test image's d'_1 with its class template (the disc alone, `peakTemplate`), mean over the
 * test images, with BN in inference mode (moving statistics) and in training mode (the test
 * batch's own statistics, as in training).
 *
 *   STEPS=5000 npx tsx examples/racecar-peak.ts     (default 5000; writes runs/examples/racecar-peak/)
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../src/core/random.js';
import { loadPeak, peakTemplate } from '../src/data/peak.js';
import { disposeBatch } from '../src/data/dataset.js';
import { Trainer } from '../src/train/trainer.js';
import {
  METHODS,
  correlation,
  doubleSoftmaxLoss,
  exampleBackend,
  fullBatch,
  termsFor,
  writeJson,
  writeReconstructions,
} from './racecar-shared.js';

const OUT = 'runs/examples/racecar-peak';
const STEPS = Number(process.env.STEPS ?? 5000);

function peakModel(rng: Random): tfl.Sequential {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.seed() });
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }),
      tfl.layers.dense({ name: 'dense_1', units: 128, kernelInitializer: init() }),
      tfl.layers.batchNormalization({ name: 'bn_1' }),
      tfl.layers.activation({ name: 'act_1', activation: 'relu' }),
      tfl.layers.dense({ name: 'dense_2', units: 2, kernelInitializer: init() }),
      tfl.layers.batchNormalization({ name: 'bn_2' }),
      tfl.layers.activation({ name: 'act_2', activation: 'relu' }),
      tfl.layers.activation({ name: 'softmax', activation: 'softmax' }),
    ],
  });
}

const backend = await exampleBackend();
const peak = loadPeak({ trainSize: 100, testSize: 10, rawPixels: true, rng: new Random(0) });
const templates = [0, 1].map((c) => peakTemplate(c, true));
const testLabels = Array.from(peak.test.labels);
const report: Record<string, unknown> = { backend, steps: STEPS };

for (const method of METHODS) {
  const rng = new Random(1);
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
  const scores: Record<string, number> = {};
  for (const training of [false, true]) {
    const recs = await writeReconstructions(
      `${OUT}/${method}-reconstructions-${training ? 'batchstats' : 'moving'}.png`,
      model,
      peak.test,
      { training },
    );
    const per = testLabels.map((label, i) =>
      correlation(recs.subarray(i * 784, (i + 1) * 784), templates[label]),
    );
    scores[training ? 'batchStats' : 'moving'] = per.reduce((s, v) => s + v, 0) / per.length;
  }
  report[method] = {
    seconds,
    final: last,
    testAccuracy: test.accuracy,
    templateCorrelation: scores,
  };
  console.log(
    `${method}: ${STEPS} steps ${seconds.toFixed(0)} s, train acc ${last.accuracy.toFixed(2)}, test acc ${test.accuracy.toFixed(2)}, ` +
      `corr(d'_1, template) moving ${scores.moving.toFixed(3)} / batch stats ${scores.batchStats.toFixed(3)}, terms ${JSON.stringify(last.terms)}`,
  );
  model.dispose();
}
await writeJson(`${OUT}/results.json`, report);
console.log(`wrote ${OUT}/; backend ${backend}`);
