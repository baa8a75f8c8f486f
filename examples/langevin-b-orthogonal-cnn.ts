/**
 * Experiment b (docs/langevin.md): orthogonal constraints on a small CNN — every conv/dense
 * kernel but the first — underdamped, τ = 0, with the official orthogonal optimizer's settings
 * "h = 0.1, c = 0.9". That "h" is an SGD learning rate (its step is v ← cv − ∇L, θ ← θ + h·v),
 * so here it is `{lr: 0.1, momentum: 0.9}` (Langevin h = √(2·0.1/1.9) = 0.324, c = 0.9),
 * compared with SGD with momentum at the same lr and μ (the same integrator unconstrained).
 *
 *   npx tsx examples/langevin-b-orthogonal-cnn.ts [--data DIR] [--epochs 2] [--train-size 5000]
 *                                                 [--test-size 2000] [--backend wasm]
 *
 * Without `--data` (a Fashion-MNIST IDX folder) it uses MNIST and says so.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, type BackendName } from '../src/backend/index.js';
import { UnderdampedLangevin } from '../src/langevin/index.js';
import { arg, loadData, markdown, toTensors, trainAndTrack, type EpochRow } from './langevin-common.js';

const epochs = Number(arg('epochs', '2'));
await selectBackend(arg('backend', 'wasm') as BackendName);
const { split, name } = loadData(Number(arg('train-size', '5000')), Number(arg('test-size', '2000')));
const train = toTensors(split.train, false);
const test = toTensors(split.test, false);

function cnn(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], name: 'conv_1', kernelInitializer: init(1) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', name: 'conv_2', kernelInitializer: init(2) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: 'relu', name: 'dense_1', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'dense_2', kernelInitializer: init(4) }),
    ],
  });
}

const rows: EpochRow[] = [];
for (const [label, make] of [
  ['SGD momentum lr=0.1 μ=0.9', () => tf.train.momentum(0.1, 0.9)],
  ['CoLA-ud orthogonal (lr=0.1, c=0.9)', () => new UnderdampedLangevin({ lr: 0.1, momentum: 0.9, tau: 0, constraints: 'none@conv_1,orthogonal@*' })],
] as Array<[string, () => tf.Optimizer]>) {
  const model = cnn();
  const optimizer = make();
  if (optimizer instanceof UnderdampedLangevin) optimizer.initialiseVariables(model.trainableWeights.map((w) => w.read() as tf.Variable));
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const report =
    optimizer instanceof UnderdampedLangevin ? () => `max residual ${Math.max(...Object.values(optimizer.residuals())).toExponential(1)}` : undefined;
  rows.push(...(await trainAndTrack(label, model, train, test, epochs, 128, report)));
  model.dispose();
}
console.log(`\n${name} (${split.train.labels.length} train / ${split.test.labels.length} test), ${tf.getBackend()}:\n` + markdown(rows));
