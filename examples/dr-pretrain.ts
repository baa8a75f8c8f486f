/**
 * Experiment (a) of issue 6: pretrain-then-fine-tune on an MNIST subset, random init vs CD
 * pretraining vs DR-CD pretraining (generative DR, Bhattacharyya coefficient).
 *
 *   npx tsx examples/dr-pretrain.ts [--seeds 3] [--hidden 256,256] [--train-size 2000]
 *     [--test-size 1000] [--pretrain-epochs 3] [--epochs 10] [--lambda 0.1] [--target 0.95]
 *
 * For every seed and initialisation: fine-tune the sigmoid MLP with plain SGD and report the
 * first epoch whose training accuracy reaches `--target`, and the final test error. Prints a
 * Markdown table of means ± standard deviations and writes examples/results/dr-pretrain.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../src/backend/index.js';
import { Random } from '../src/core/random.js';
import { loadDataset } from '../src/data/index.js';
import { buildModel } from '../src/models/zoo.js';
import { trainDbn, unrollDbn, type GenerativeDrOptions } from '../src/rbm/index.js';
import { Trainer } from '../src/train/trainer.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const seeds = Number(argument('seeds', '3'));
const hidden = argument('hidden', '256,256').split(',').map(Number);
const trainSize = Number(argument('train-size', '2000'));
const testSize = Number(argument('test-size', '1000'));
const pretrainEpochs = Number(argument('pretrain-epochs', '3'));
const epochs = Number(argument('epochs', '10'));
const lambda = Number(argument('lambda', '0.1'));
const target = Number(argument('target', '0.95'));
const lr = Number(argument('lr', '0.5'));
const batchSize = 50;

type Init = 'random' | 'cd' | 'dr-cd';
interface Row {
  init: Init;
  seed: number;
  epochsToTarget: number | null;
  trainAccuracy: number[];
  testError: number;
  pretrainSeconds: number;
}

await selectBackend('wasm');
const { train, test } = loadDataset({ dataset: 'mnist', trainSize, testSize });

function initialModel(init: Init, rng: Random): { model: tfl.LayersModel; seconds: number } {
  const started = performance.now();
  if (init === 'random') {
    return {
      model: buildModel(`mlp:${hidden.join(',')}`, {
        inputShape: train.sampleShape,
        numClasses: 10,
        rng,
        activation: 'sigmoid',
      }),
      seconds: 0,
    };
  }
  const dr: GenerativeDrOptions | undefined =
    init === 'dr-cd' ? { divergence: 'bhattacharyya', lambda, maxPairs: 512 } : undefined;
  const { rbms } = trainDbn(train, {
    layers: hidden,
    epochs: pretrainEpochs,
    batchSize: 50,
    lr: 0.1,
    rng,
    dr,
  });
  const model = unrollDbn(rbms, { inputShape: train.sampleShape, numClasses: 10, rng });
  for (const rbm of rbms) rbm.dispose();
  return { model, seconds: (performance.now() - started) / 1000 };
}

const rows: Row[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  for (const init of ['random', 'cd', 'dr-cd'] as Init[]) {
    const rng = new Random(seed);
    const { model, seconds } = initialModel(init, rng);
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(lr), rng });
    const history = await trainer.fit(train, { epochs, batchSize });
    const trainAccuracy = history.map((m) => m.accuracy);
    const reached = trainAccuracy.findIndex((a) => a >= target);
    const row = {
      init,
      seed,
      epochsToTarget: reached < 0 ? null : reached + 1,
      trainAccuracy,
      testError: 1 - trainer.evaluate(test).accuracy,
      pretrainSeconds: seconds,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    model.dispose();
    trainer.optimizer.dispose();
  }
}

const stats = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(
    values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1),
  );
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
};
console.log(
  `\nMNIST ${trainSize} train / ${testSize} test, 784-${hidden.join('-')}-10 sigmoid, SGD lr ${lr} batch ${batchSize}, ${epochs} epochs, ${seeds} seeds; pretraining ${pretrainEpochs} CD-1 epochs per level, DR λ = ${lambda} (Bhattacharyya coefficient)\n`,
);
console.log(
  `| init | epochs to ${target * 100}% train acc. (unreached = ${epochs + 1}) | reached | train acc. after epoch 1 | test error % |`,
);
console.log('|---|---|---|---|---|');
for (const init of ['random', 'cd', 'dr-cd'] as Init[]) {
  const mine = rows.filter((r) => r.init === init);
  console.log(
    `| ${init} | ${stats(mine.map((r) => r.epochsToTarget ?? epochs + 1))} | ${mine.filter((r) => r.epochsToTarget !== null).length}/${mine.length} | ${stats(mine.map((r) => 100 * r.trainAccuracy[0]))} | ${stats(mine.map((r) => 100 * r.testError))} |`,
  );
}
await mkdir('examples/results', { recursive: true });
await writeFile(
  'examples/results/dr-pretrain.json',
  JSON.stringify({ args: process.argv.slice(2), rows }, null, 2) + '\n',
);
