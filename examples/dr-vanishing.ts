/**
 * Experiment (b) of issue 6: vanishing gradients in a deep sigmoid MLP trained with plain SGD,
 * with and without discriminative DR on every hidden layer (and DeCov as a baseline).
 *
 *   npx tsx examples/dr-vanishing.ts [--depth 10] [--width 64] [--train-size 1000]
 *     [--epochs 5] [--lr 0.1] [--lambda 0.1] [--seed 1]
 *
 * `depth` counts weight layers (depth − 1 sigmoid hidden layers + softmax). After every epoch
 * (and before training) it measures, on a fixed batch of 200 training samples, the Frobenius
 * norm of the first layer's kernel gradient of the task loss alone and of the full objective,
 * and the training loss; writes examples/results/dr-vanishing.json and prints a table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/index.js';
import { Random } from '../src/core/random.js';
import { disposeBatch, loadDataset, makeBatch, type Batch } from '../src/data/index.js';
import { diversify } from '../src/diversify/index.js';
import { buildModel } from '../src/models/zoo.js';
import { decov } from '../src/per/index.js';
import { softmaxCrossEntropy } from '../src/train/losses.js';
import type { RegularizationTerm } from '../src/train/term.js';
import { forwardTrace } from '../src/train/trace.js';
import { Trainer } from '../src/train/trainer.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const depth = Number(argument('depth', '10'));
const width = Number(argument('width', '64'));
const trainSize = Number(argument('train-size', '1000'));
const epochs = Number(argument('epochs', '5'));
const lr = Number(argument('lr', '0.1'));
const lambda = Number(argument('lambda', '0.1'));
const seed = Number(argument('seed', '1'));
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
  [`dr cosine λ=${lambda}`]: () => [diversify({ lambda, layers: hiddenLayers })],
  'decov λ=1e-3': () => [decov({ lambda: 1e-3, layers: hiddenLayers })],
};

const probe = makeBatch(
  train,
  Int32Array.from({ length: 200 }, (_, i) => i),
);
const results: Record<
  string,
  { epoch: number; loss: number; accuracy: number; taskNorm: number; totalNorm: number }[]
> = {};
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
  const curve = [
    {
      epoch: 0,
      loss: start.task,
      accuracy: NaN,
      taskNorm: start.taskNorm,
      totalNorm: start.totalNorm,
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
    });
    console.log(
      `${name} epoch ${epoch}: task loss ${means.task.toFixed(4)}, acc ${(100 * means.accuracy).toFixed(1)}%, ‖∇W1 task‖ ${g.taskNorm.toExponential(2)}, ‖∇W1 total‖ ${g.totalNorm.toExponential(2)}`,
    );
  }
  results[name] = curve;
  model.dispose();
  trainer.optimizer.dispose();
}
disposeBatch(probe);

console.log(
  `\nMNIST ${trainSize}, ${depth}-layer sigmoid MLP (width ${width}), SGD lr ${lr}, batch 50, seed ${seed}\n`,
);
console.log(
  `| epoch | ${Object.keys(results)
    .map((n) => `${n}: task loss / train acc. / ‖∇W₁ task‖ / ‖∇W₁ total‖`)
    .join(' | ')} |`,
);
console.log(
  `|---|${Object.keys(results)
    .map(() => '---')
    .join('|')}|`,
);
for (let epoch = 0; epoch <= epochs; epoch++) {
  const cells = Object.values(results).map((curve) => {
    const r = curve[epoch];
    return `${r.loss.toFixed(3)} / ${Number.isNaN(r.accuracy) ? '—' : (100 * r.accuracy).toFixed(1) + '%'} / ${r.taskNorm.toExponential(2)} / ${r.totalNorm.toExponential(2)}`;
  });
  console.log(`| ${epoch} | ${cells.join(' | ')} |`);
}
await mkdir('examples/results', { recursive: true });
await writeFile(
  'examples/results/dr-vanishing.json',
  JSON.stringify({ args: process.argv.slice(2), results }, null, 2) + '\n',
);
