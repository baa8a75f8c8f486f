/**
 * Experiment b (docs/langevin.md): orthogonal constraints on a small CNN — every conv/dense
 * kernel but the first — underdamped, τ = 0, c = 0.9, against SGD with momentum at the same
 * learning rate and momentum. The official orthogonal optimizer's "h = 0.1, c = 0.9" is an SGD
 * learning rate (its step is v ← cv − ∇L, θ ← θ + h·v), so both runs here take
 * `{lr, momentum: 0.9}` (for CoLA-ud: Langevin h = √(2·lr/1.9), c = 0.9).
 *
 * The learning rate: lr 0.1 (the official value, made for a ResNet with batch norm) makes plain
 * momentum diverge on this unnormalised CNN, so `--select-lr` picks it for the *baseline*:
 * each candidate trains SGD with momentum for `--pilot-epochs` on the first 80% of the training
 * subset and is scored on the other 20% (the test set is not looked at); the lowest validation
 * error wins and both methods then train on the whole subset with it.
 *
 *   npx tsx examples/langevin-b-orthogonal-cnn.ts [--data DIR] [--epochs 6] [--train-size 5000]
 *       [--test-size 2000] [--lr 0.01 | --select-lr 0.003,0.01,0.03,0.1] [--pilot-epochs 1]
 *       [--backend wasm]
 *
 * Without `--data` (a Fashion-MNIST IDX folder) it uses MNIST and says so.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { langevin, selectBackend, selectSamples, type BackendName } from '../src/index.js';
import { arg, loadData, markdown, trainAndTrack, type EpochRow } from './langevin-common.js';

const { UnderdampedLangevin } = langevin;
type UnderdampedLangevin = langevin.UnderdampedLangevin;

const epochs = Number(arg('epochs', '6'));
const momentum = 0.9;
await selectBackend(arg('backend', 'wasm') as BackendName);
const { split, name } = loadData(
  Number(arg('train-size', '5000')),
  Number(arg('test-size', '2000')),
);

function cnn(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        activation: 'relu',
        inputShape: [28, 28, 1],
        name: 'conv_1',
        kernelInitializer: init(1),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv_2',
        kernelInitializer: init(2),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({
        units: 64,
        activation: 'relu',
        name: 'dense_1',
        kernelInitializer: init(3),
      }),
      tfl.layers.dense({
        units: 10,
        activation: 'softmax',
        name: 'dense_2',
        kernelInitializer: init(4),
      }),
    ],
  });
}

/** A CNN with SGD-momentum or CoLA-ud orthogonal at learning rate `lr`. */
function build(
  method: 'momentum' | 'orthogonal',
  lr: number,
): { model: tfl.Sequential; optimizer: tf.Optimizer } {
  const model = cnn();
  const optimizer =
    method === 'momentum'
      ? tf.train.momentum(lr, momentum)
      : new UnderdampedLangevin({
          lr,
          momentum,
          tau: 0,
          constraints: ['none@conv_1', 'orthogonal@*'],
        });
  if (optimizer instanceof UnderdampedLangevin)
    optimizer.initialiseVariables(model.trainableWeights.map((w) => w.read() as tf.Variable));
  return { model, optimizer };
}

/** Validation error of SGD-momentum at each candidate lr (80/20 split of the training subset). */
async function selectLr(candidates: number[]): Promise<number> {
  const n = split.train.labels.length;
  const nFit = Math.floor(0.8 * n);
  const range = (from: number, to: number) =>
    Int32Array.from({ length: to - from }, (_, i) => from + i);
  const pilot = {
    train: selectSamples(split.train, range(0, nFit)),
    test: selectSamples(split.train, range(nFit, n)),
  };
  const pilotEpochs = Number(arg('pilot-epochs', '1'));
  let best = { lr: candidates[0], error: Infinity };
  for (const lr of candidates) {
    const { model, optimizer } = build('momentum', lr);
    const rows = await trainAndTrack(`pilot lr ${lr}`, model, optimizer, pilot, pilotEpochs, 128);
    const { testError: error, trainLoss: loss } = rows[rows.length - 1];
    console.log(
      `lr selection (SGD momentum μ=${momentum}, ${pilotEpochs} epoch(s) on ${nFit}, validated on ${n - nFit}): lr ${lr}  val error ${(100 * error).toFixed(2)}%  train loss ${loss.toFixed(4)}`,
    );
    if (Number.isFinite(loss) && error < best.error) best = { lr, error };
    model.dispose();
  }
  return best.lr;
}

const selection = arg('select-lr', '');
const lr = selection ? await selectLr(selection.split(',').map(Number)) : Number(arg('lr', '0.01'));
console.log(`learning rate ${lr}, momentum ${momentum}`);

const rows: EpochRow[] = [];
for (const [label, method] of [
  [`SGD momentum lr=${lr} μ=${momentum}`, 'momentum'],
  [`CoLA-ud orthogonal (lr=${lr}, c=${momentum})`, 'orthogonal'],
] as Array<[string, 'momentum' | 'orthogonal']>) {
  const { model, optimizer } = build(method, lr);
  const report =
    optimizer instanceof UnderdampedLangevin
      ? () => `max residual ${Math.max(...Object.values(optimizer.residuals())).toExponential(1)}`
      : undefined;
  rows.push(...(await trainAndTrack(label, model, optimizer, split, epochs, 128, report)));
  model.dispose();
}
console.log(
  `\n${name} (${split.train.labels.length} train / ${split.test.labels.length} test), ${tf.getBackend()}:\n` +
    markdown(rows),
);
