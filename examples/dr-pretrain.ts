/**
 * Experiment (a) of issue 6: pretrain-then-fine-tune on an MNIST subset, random init vs CD
 * pretraining vs DR-CD pretraining (generative DR, Bhattacharyya coefficient).
 *
 *   npx tsx examples/dr-pretrain.ts [--seeds 5] [--hidden 500,500] [--train-size 2000]
 *     [--test-size 1000] [--pretrain-epochs 10] [--epochs 30]
 *     [--dr bhattacharyya:100,bhattacharyya:1000] [--lr 0.5]
 *     [--target 0.95] [--max-pairs 512]
 *   npx tsx examples/dr-pretrain.ts --check-lambda [--hidden 500] [--pretrain-epochs 5]
 *
 * For every seed and initialisation: fine-tune the sigmoid MLP with plain SGD (batch 50) and
 * record the first epoch whose training accuracy (running mean over the epoch, as `fit`
 * reports it) reaches `--target`, and the test error after the last epoch. Prints means ±
 * standard deviations and paired t-tests over the seeds (src/analysis/stats.ts) and writes
 * examples/results/dr-pretrain.json.
 *
 * `--check-lambda` sizes λ: it trains the first RBM with plain CD and, after every epoch,
 * compares on 10 batches the Frobenius norm of the CD statistic ΔW = V₀ᵀP₀/n − VᵀP/n with
 * that of the DR gradient ∂R/∂W (R = BC, and R = −D_B = log BC for comparison), and prints the
 * mean between-class BC.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  Random,
  Trainer,
  batchIndices,
  buildModel,
  formatMeanStd,
  generativeDr,
  loadDataset,
  pairedComparison,
  selectBackend,
  summarize,
} from '../src/index.js';

const {
  bernoulli,
  generativeDrGradients,
  trainDbn,
  trainRbm,
  uniformFrom,
  unrollDbn,
  visibleMatrix,
} = generativeDr;
type DivergenceKind = generativeDr.DivergenceKind;
type Rbm = generativeDr.Rbm;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const seeds = Number(argument('seeds', '5'));
const hidden = argument('hidden', '500,500').split(',').map(Number);
const trainSize = Number(argument('train-size', '2000'));
const testSize = Number(argument('test-size', '1000'));
const pretrainEpochs = Number(argument('pretrain-epochs', '10'));
const epochs = Number(argument('epochs', '30'));
/** DR-CD arms, `divergence:λ` each (the check below sizes λ). */
const drArms = argument('dr', 'bhattacharyya:100,bhattacharyya:1000')
  .split(',')
  .map((arm) => {
    const [divergence, lambda] = arm.split(':');
    return { divergence: divergence as DivergenceKind, lambda: Number(lambda) };
  });
const target = Number(argument('target', '0.95'));
const lr = Number(argument('lr', '0.5'));
const maxPairs = Number(argument('max-pairs', '512'));
const batchSize = 50;
const pretrainLr = 0.1;

await selectBackend('wasm');
const { train, test } = loadDataset({ dataset: 'mnist', trainSize, testSize });

/** ‖ΔW_CD‖, ‖∂R/∂W‖, BC and log BC, averaged over 10 batches (see the file comment). */
function lambdaCheck(rbm: Rbm, rng: Random): Record<string, number> {
  const uniform = uniformFrom(rng);
  const sums = { cdNorm: 0, drNorm: 0, coefficient: 0, distanceNorm: 0 };
  const batches = batchIndices(trainSize, batchSize, rng).slice(0, 10);
  for (const indices of batches) {
    const v = visibleMatrix(train, indices);
    const labels = Int32Array.from(indices, (i) => train.labels[i]);
    const [cdNorm] = tf.tidy(() => {
      const positive = rbm.hiddenProbabilities(v);
      const visible = bernoulli(
        rbm.visibleProbabilities(bernoulli(positive, uniform) as tf.Tensor2D),
        uniform,
      ) as tf.Tensor2D;
      const negative = rbm.hiddenProbabilities(visible);
      const statistic = tf.div(
        tf.sub(tf.matMul(v, positive, true, false), tf.matMul(visible, negative, true, false)),
        indices.length,
      );
      return tf.norm(statistic).dataSync();
    });
    const dr = generativeDrGradients(rbm, v, labels, { lambda: 1, maxPairs }, rng);
    sums.cdNorm += cdNorm;
    sums.drNorm += tf.tidy(() => tf.norm(dr.weights).dataSync()[0]);
    sums.coefficient += dr.value.dataSync()[0];
    const distance = generativeDrGradients(
      rbm,
      v,
      labels,
      { divergence: 'bhattacharyya-distance', lambda: 1, maxPairs },
      rng,
    );
    sums.distanceNorm += tf.tidy(() => tf.norm(distance.weights).dataSync()[0]);
    tf.dispose([
      v,
      dr.value,
      dr.weights,
      dr.hiddenBias,
      distance.value,
      distance.weights,
      distance.hiddenBias,
    ]);
  }
  const n = batches.length;
  return {
    cdNorm: sums.cdNorm / n,
    drNorm: sums.drNorm / n,
    ratio: sums.drNorm / sums.cdNorm,
    meanCoefficient: sums.coefficient / n,
    distanceRatio: sums.distanceNorm / sums.cdNorm,
  };
}

if (process.argv.includes('--check-lambda')) {
  const rng = new Random(1);
  let rbm: Rbm | undefined;
  for (let epoch = 0; epoch <= pretrainEpochs; epoch++) {
    if (epoch > 0) {
      rbm?.dispose();
      rbm = trainRbm(train, {
        hidden: hidden[0],
        epochs: epoch,
        batchSize,
        lr: pretrainLr,
        rng: new Random(1),
      }).rbm;
    }
    const probe =
      rbm ?? trainRbm(train, { hidden: hidden[0], epochs: 0, batchSize, rng: new Random(1) }).rbm;
    const numbers = lambdaCheck(probe, rng);
    console.log(
      `CD epoch ${epoch}: ‖ΔW_CD‖ ${numbers.cdNorm.toExponential(2)}, ‖∂R/∂W‖ ${numbers.drNorm.toExponential(2)}, ratio ${numbers.ratio.toExponential(2)}, mean between-class BC ${numbers.meanCoefficient.toExponential(2)}; ‖∂(−D_B)/∂W‖ / ‖ΔW_CD‖ ${numbers.distanceRatio.toExponential(2)}`,
    );
    if (!rbm) probe.dispose();
  }
  rbm?.dispose();
  process.exit(0);
}

interface Init {
  label: string;
  /** Absent: random init; λ = 0: plain CD. */
  dr?: { divergence: DivergenceKind; lambda: number };
}
const drLabel = (arm: { divergence: string; lambda: number }) =>
  `dr-cd ${arm.divergence} λ=${arm.lambda}`;
const INITS: Init[] = [
  { label: 'random' },
  { label: 'cd', dr: { divergence: 'bhattacharyya', lambda: 0 } },
  ...drArms.map((dr) => ({ label: drLabel(dr), dr })),
];

interface Row {
  init: string;
  seed: number;
  epochsToTarget: number | null;
  trainAccuracy: number[];
  testError: number[];
  pretrainSeconds: number;
  fineTuneSeconds: number;
}

function initialModel(init: Init, rng: Random): tfl.LayersModel {
  if (init.dr === undefined) {
    return buildModel(`mlp:${hidden.join(',')}`, {
      inputShape: train.sampleShape,
      numClasses: 10,
      rng,
      activation: 'sigmoid',
    });
  }
  const { rbms } = trainDbn(train, {
    layers: hidden,
    epochs: pretrainEpochs,
    batchSize,
    lr: pretrainLr,
    rng,
    dr: { ...init.dr, maxPairs },
  });
  const model = unrollDbn(rbms, { inputShape: train.sampleShape, numClasses: 10, rng });
  for (const rbm of rbms) rbm.dispose();
  return model;
}

const rows: Row[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  for (const init of INITS) {
    // Same seed → CD and DR-CD see the same initial weights, batches and Bernoulli draws.
    const rng = new Random(seed);
    const started = performance.now();
    const model = initialModel(init, rng);
    const pretrainSeconds = (performance.now() - started) / 1000;
    const trainer = new Trainer({
      model,
      optimizer: tf.train.sgd(lr),
      rng: new Random(1000 + seed),
    });
    const history = await trainer.fit(train, { epochs, batchSize, validation: test });
    const trainAccuracy = history.map((m) => m.accuracy);
    const reached = trainAccuracy.findIndex((a) => a >= target);
    const row: Row = {
      init: init.label,
      seed,
      epochsToTarget: reached < 0 ? null : reached + 1,
      trainAccuracy,
      testError: history.map((m) => 1 - (m.valAccuracy as number)),
      pretrainSeconds,
      fineTuneSeconds: (performance.now() - started) / 1000 - pretrainSeconds,
    };
    rows.push(row);
    console.log(
      `seed ${seed} ${init.label}: epochs to ${target} ${row.epochsToTarget ?? 'unreached'}, train acc. ${trainAccuracy.map((a) => a.toFixed(3)).join(' ')}, final test error ${row.testError[epochs - 1].toFixed(4)} (pretrain ${pretrainSeconds.toFixed(0)} s, fine-tune ${row.fineTuneSeconds.toFixed(0)} s)`,
    );
    model.dispose();
    trainer.optimizer.dispose();
  }
}

/** Unreached targets count as `epochs + 1` (a lower bound), so those means are lower bounds. */
const epochsTo = (r: Row) => r.epochsToTarget ?? epochs + 1;
const finalError = (r: Row) => 100 * r.testError[epochs - 1];
const firstEpochAccuracy = (r: Row) => 100 * r.trainAccuracy[0];
const byInit = (label: string) => rows.filter((r) => r.init === label);

console.log(
  `\nMNIST ${trainSize} train / ${testSize} test, 784-${hidden.join('-')}-10 sigmoid, fine-tuning SGD lr ${lr} batch ${batchSize} for ${epochs} epochs, ${seeds} seeds; pretraining ${pretrainEpochs} CD-1 epochs per level (lr ${pretrainLr}, batch ${batchSize}); DR-CD: maxPairs ${maxPairs}\n`,
);
console.log(
  `| init | epochs to ${100 * target}% train acc. (unreached = ${epochs + 1}) | reached | train acc. after epoch 1 (%) | final test error (%) |`,
);
console.log('|---|---|---|---|---|');
for (const { label } of INITS) {
  const mine = byInit(label);
  console.log(
    `| ${label} | ${formatMeanStd(summarize(mine.map(epochsTo)), 1)} | ${mine.filter((r) => r.epochsToTarget !== null).length}/${mine.length} | ${formatMeanStd(summarize(mine.map(firstEpochAccuracy)), 1)} | ${formatMeanStd(summarize(mine.map(finalError)), 2)} |`,
  );
}
if (seeds >= 2) {
  console.log(
    '\n| comparison (paired over seeds, a − b) | epochs to target: Δ, p | final test error (points): Δ [95% CI], p |',
  );
  console.log('|---|---|---|');
  const pairs: [string, string][] = [
    ['cd', 'random'],
    ...drArms.map((arm): [string, string] => [drLabel(arm), 'cd']),
  ];
  for (const [a, b] of pairs) {
    const epochsTest = pairedComparison(byInit(a).map(epochsTo), byInit(b).map(epochsTo));
    const errorTest = pairedComparison(byInit(a).map(finalError), byInit(b).map(finalError));
    console.log(
      `| ${a} − ${b} | ${epochsTest.meanDiff.toFixed(1)}, p = ${epochsTest.pValue.toFixed(3)} | ${errorTest.meanDiff.toFixed(2)} [${errorTest.ci95[0].toFixed(2)}, ${errorTest.ci95[1].toFixed(2)}], p = ${errorTest.pValue.toFixed(3)} |`,
    );
  }
}
await mkdir('examples/results', { recursive: true });
await writeFile(
  'examples/results/dr-pretrain.json',
  JSON.stringify({ args: process.argv.slice(2), rows }, null, 2) + '\n',
);
