/**
 * Racecar example (a): the official RUN_ME MNIST toy (tum-pbs/racecar).
 *
 * One training image of a "0" and one of a "1", linear 784→10, raw 0–255 pixels, full batch,
 * Adam lr 1e-4, 1000 steps, the official double softmax; Std vs Ort (SRIP 0.1) vs RR (λ = 1e-5,
 * sum). Then the SVD of the weight: for M = Wᵀ = UΣVᵀ, every singular value with the
 * projection norm of its right singular vector (a 784-vector, an image) onto the span of the two
 * training images. RR should give exactly two σ ≈ 1 whose vectors lie in that span.
 *
 *   npx tsx examples/racecar-mnist-toy.ts            (writes runs/examples/racecar-mnist-toy/;
 *   comparison.png: test images | d'_1 of Std | Ort | RR | RR-probabilities)
 */
import * as tf from '@tensorflow/tfjs-core';
import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import {
  Random,
  Trainer,
  buildModel,
  disposeBatch,
  imagesFromArray,
  loadMnist,
  projectionNorm,
  selectSamples,
  spanBasis,
  writePngGrid,
} from '../src/index.js';
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

const OUT = 'runs/examples/racecar-mnist-toy';
const STEPS = Number(process.env.STEPS ?? 1000);

const backend = await exampleBackend();
const mnist = loadMnist({ trainSize: 1000, testSize: 20, rawPixels: true });
const labels = Array.from(mnist.train.labels);
const train = selectSamples(mnist.train, [labels.indexOf(0), labels.indexOf(1)], 'mnist-toy');
const testLabels = Array.from(mnist.test.labels);
const testIdx = testLabels.flatMap((label, i) => (label <= 1 ? [i] : [])).slice(0, 6);
const test = selectSamples(mnist.test, testIdx, 'mnist-toy-test');
const span = spanBasis(train.x, 784);

const report: Record<string, unknown> = { backend, steps: STEPS };
const allRecs: Float32Array[] = [];
for (const method of [...METHODS, 'RR-probabilities'] as const) {
  const rng = new Random(1);
  const model = buildModel('linear', { inputShape: [28, 28, 1], numClasses: 10, rng });
  const trainer = new Trainer({
    model,
    optimizer: tf.train.adam(1e-4),
    terms: termsFor(method, 1e-5, 0.1),
    loss: doubleSoftmaxLoss,
    rng,
  });
  const batch = fullBatch(train);
  const started = performance.now();
  let last = trainer.trainStep(batch);
  for (let step = 1; step < STEPS; step++) last = trainer.trainStep(batch);
  disposeBatch(batch);
  const seconds = (performance.now() - started) / 1000;

  // W: [784, 10]; its left singular vectors are M = Wᵀ's right singular vectors (images).
  const w = model.getLayer('dense_1').getWeights()[0];
  const svd = new SingularValueDecomposition(new Matrix(w.arraySync() as number[][]), {
    autoTranspose: true,
  });
  const vectors = svd.leftSingularVectors;
  const spectrum = svd.diagonal.map((sigma, k) => ({
    sigma,
    projection: projectionNorm(span, vectors.getColumn(k)),
  }));
  const nearOne = spectrum.filter((s) => Math.abs(s.sigma - 1) < 0.1);
  const inSpan = spectrum.filter((s) => s.projection >= 0.9);

  const recs = await writeReconstructions(`${OUT}/${method}-reconstructions.png`, model, test, {
    start: method === 'RR-probabilities' ? 'probabilities' : 'pre-softmax',
  });
  // How recognisable the reconstruction is: its Pearson correlation with the test image.
  allRecs.push(recs);
  const testX = test.x;
  const recCorrelation = testIdx.map((_, i) =>
    correlation(recs.subarray(i * 784, (i + 1) * 784), testX.subarray(i * 784, (i + 1) * 784)),
  );
  const recError = recCorrelation.reduce((a, b) => a + b, 0) / recCorrelation.length;
  const order = spectrum
    .map((_, k) => k)
    .sort((a, b) => spectrum[b].projection - spectrum[a].projection);
  await writePngGrid(
    `${OUT}/${method}-singular-vectors.png`,
    imagesFromArray(
      order.flatMap((k) => vectors.getColumn(k)),
      [28, 28, 1],
    ),
    { columns: 10, upscale: 3, scale: 'symmetric' },
  );
  report[method] = {
    seconds,
    final: last,
    spectrum,
    nearOne: nearOne.length,
    inSpan: inSpan.length,
    testReconstructionCorrelation: recError,
  };
  console.log(
    `\n${method}: ${STEPS} steps in ${seconds.toFixed(1)} s, task ${last.task.toFixed(4)}, terms ${JSON.stringify(last.terms)}`,
  );
  console.log('  σ          ' + spectrum.map((s) => s.sigma.toFixed(3).padStart(7)).join(' '));
  console.log('  projection ' + spectrum.map((s) => s.projection.toFixed(3).padStart(7)).join(' '));
  console.log(
    `  σ within 0.1 of 1: ${nearOne.length}; projection ≥ 0.9: ${inSpan.length}; mean corr(d'_1, x) on test 0/1 images = ${recError.toFixed(3)}`,
  );
  model.dispose();
}
// One comparison grid: each row a test image, then its d'_1 under Std, Ort, RR, RR-probabilities.
const rows = testIdx.flatMap((_, i) => [
  test.x.subarray(i * 784, (i + 1) * 784),
  ...allRecs.map((r) => r.subarray(i * 784, (i + 1) * 784)),
]);
await writePngGrid(
  `${OUT}/comparison.png`,
  imagesFromArray(Float32Array.from(rows.flatMap((r) => Array.from(r))), [28, 28, 1]),
  { columns: 1 + allRecs.length, upscale: 2 },
);
await writeJson(`${OUT}/results.json`, report);
console.log(
  `\nwrote ${OUT}/ (results.json, *-reconstructions.png, *-singular-vectors.png); backend ${backend}`,
);
