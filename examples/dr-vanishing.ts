/**
 * Experiment (b) of issue 6: vanishing gradients in a deep sigmoid MLP trained with plain SGD,
 * with and without discriminative DR on every hidden layer (and DeCov as a baseline).
 *
 *   npx tsx examples/dr-vanishing.ts [--depth 10] [--width 64] [--train-size 1000]
 *     [--epochs 10] [--lr 0.1] [--lambdas 0.1,1] [--seeds 3]
 *
 * `depth` counts weight layers (depth − 1 sigmoid hidden layers + softmax). After every epoch
 * (and before training) it measures, on a fixed batch of 200 training samples, the Frobenius
 * norm of the first layer's kernel gradient of the task loss alone and of the full objective,
 * and the training loss; over `--seeds` seeds (same seed → same initial weights and batches
 * for every case) it prints means ± standard deviations and writes
 * examples/results/dr-vanishing.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import {
  Random,
  Trainer,
  buildModel,
  disposeBatch,
  diversify as dr,
  forwardTrace,
  loadDataset,
  makeBatch,
  per,
  selectBackend,
  softmaxCrossEntropy,
  summarize,
  type Batch,
  type RegularizationTerm,
} from '../src/index.js';

const { diversify } = dr;
const { decov } = per;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const depth = Number(argument('depth', '10'));
const width = Number(argument('width', '64'));
const trainSize = Number(argument('train-size', '1000'));
const epochs = Number(argument('epochs', '10'));
const lr = Number(argument('lr', '0.1'));
const lambdas = argument('lambdas', '0.1,1').split(',').map(Number);
const seeds = Number(argument('seeds', '3'));
const hiddenLayers = Array.from({ length: depth - 1 }, (_, k) => `dense_${k + 1}`);

await selectBackend('wasm');
const { train } = loadDataset({ dataset: 'mnist', trainSize, testSize: 1 });

/** ‖∂task/∂W₁‖ and ‖∂(task + Σ λ term)/∂W₁‖ on `batch`, plus the task loss. */
function firstLayerGradients(
  trainer: Trainer,
  batch: Batch,
): { task: number; taskNorm: number; totalNorm: number } {
  const kernel = trainer.model.getLayer('dense_1').trainableWeights[0].read() as tf.Variable;
  return tf.tidy(() => {
    const objective = (withTerms: boolean) => () => {
      const trace = forwardTrace(trainer.model, batch.x, true);
      const task = softmaxCrossEntropy(trace, batch);
      if (!withTerms) return task;
      const context = { trace, batch, model: trainer.model, rng: new Random(0), step: 0 };
      return trainer.terms.reduce(
        (total, term) => tf.add(total, tf.mul(term.weight, term.compute(context))),
        task,
      ) as tf.Scalar;
    };
    const plain = tf.variableGrads(objective(false), [kernel]);
    const full = tf.variableGrads(objective(true), [kernel]);
    return {
      task: plain.value.dataSync()[0],
      taskNorm: tf.norm(plain.grads[kernel.name]).dataSync()[0],
      totalNorm: tf.norm(full.grads[kernel.name]).dataSync()[0],
    };
  });
}

const CASES: Record<string, () => RegularizationTerm[]> = {
  plain: () => [],
  ...Object.fromEntries(
    lambdas.map((lambda) => [
      `dr cosine λ=${lambda}`,
      () => [diversify({ lambda, layers: hiddenLayers })],
    ]),
  ),
  'decov λ=1e-3': () => [decov({ lambda: 1e-3, layers: hiddenLayers })],
};

const probe = makeBatch(
  train,
  Int32Array.from({ length: 200 }, (_, i) => i),
);
interface Point {
  epoch: number;
  loss: number;
  accuracy: number;
  taskNorm: number;
  totalNorm: number;
  /** Unweighted term values, epoch means (the DR term: mean between-class cosine). */
  terms: Record<string, number>;
}
/** results[case][seed − 1][epoch] */
const results: Record<string, Point[][]> = {};
for (let seed = 1; seed <= seeds; seed++) {
  for (const [name, terms] of Object.entries(CASES)) {
    const rng = new Random(seed);
    const model = buildModel(
      `mlp:${Array(depth - 1)
        .fill(width)
        .join(',')}`,
      { inputShape: train.sampleShape, numClasses: 10, rng, activation: 'sigmoid' },
    );
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(lr), terms: terms(), rng });
    const start = firstLayerGradients(trainer, probe);
    const curve: Point[] = [
      {
        epoch: 0,
        loss: start.task,
        accuracy: NaN,
        taskNorm: start.taskNorm,
        totalNorm: start.totalNorm,
        terms: {},
      },
    ];
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const means = await trainer.trainEpoch(train, 50);
      const g = firstLayerGradients(trainer, probe);
      curve.push({
        epoch,
        loss: means.task,
        accuracy: means.accuracy,
        taskNorm: g.taskNorm,
        totalNorm: g.totalNorm,
        terms: means.terms,
      });
    }
    const last = curve[epochs];
    console.log(
      `seed ${seed} ${name}: task loss ${curve.map((p) => p.loss.toFixed(3)).join(' ')}; final acc ${(100 * last.accuracy).toFixed(1)}%; ‖∇W1 task‖ ${curve.map((p) => p.taskNorm.toExponential(1)).join(' ')}; ‖∇W1 total‖ ${last.totalNorm.toExponential(2)}; terms epoch 1 → ${epochs}: ${JSON.stringify(curve[1].terms)} → ${JSON.stringify(last.terms)}`,
    );
    (results[name] ??= []).push(curve);
    model.dispose();
    trainer.optimizer.dispose();
  }
}
disposeBatch(probe);

const cell = (values: number[], format: (x: number) => string) => {
  const s = summarize(values);
  return Number.isNaN(s.mean) ? '—' : `${format(s.mean)} ± ${format(s.std)}`;
};
const fixed = (digits: number) => (x: number) => x.toFixed(digits);
const exponential = (x: number) => x.toExponential(1);
console.log(
  `\nMNIST ${trainSize}, ${depth}-layer sigmoid MLP (width ${width}), SGD lr ${lr}, batch 50, ${seeds} seeds (mean ± std)\n`,
);
const shown = [...new Set([0, 1, 2, Math.ceil(epochs / 2), epochs])].filter((e) => e <= epochs);
for (const [name, runs] of Object.entries(results)) {
  console.log(`\n${name}\n`);
  console.log('| epoch | task loss | train acc. (%) | ‖∇W₁ task‖ | ‖∇W₁ task + DR‖ |');
  console.log('|---|---|---|---|---|');
  for (const epoch of shown) {
    const points = runs.map((curve) => curve[epoch]);
    console.log(
      `| ${epoch} | ${cell(
        points.map((p) => p.loss),
        fixed(3),
      )} | ${
        epoch === 0
          ? '—'
          : cell(
              points.map((p) => 100 * p.accuracy),
              fixed(1),
            )
      } | ${cell(
        points.map((p) => p.taskNorm),
        exponential,
      )} | ${cell(
        points.map((p) => p.totalNorm),
        exponential,
      )} |`,
    );
  }
}
await mkdir('examples/results', { recursive: true });
await writeFile(
  'examples/results/dr-vanishing.json',
  JSON.stringify({ args: process.argv.slice(2), results }, null, 2) + '\n',
);
