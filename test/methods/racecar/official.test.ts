/**
 * The default reverse pass equals the official racecar code (tum-pbs/racecar), written out by
 * hand in plain JavaScript (float64) from the two official scripts:
 *
 * SVD-example/mnist_training.py (the toy, linear 784→10):
 *   fcout = tf.matmul(x, W_conv1) + b_conv1
 *   back_input = tf.matmul((fcout-b_conv1),tf.transpose(W_conv1))
 *   prediction = tf.reshape(tf.nn.softmax(fcout),[-1,CLASS_NUM])
 *   loss = loss + args.rrfactor * tf.reduce_mean(tf.nn.l2_loss(back_input - x))
 *
 * SVD-example/peak_training.py (784→128→2, BN + ReLU on both layers):
 *   fcout1 = tf.nn.relu(batch_norm(tf.matmul(x, W_conv1) + b_conv1))
 *   fcout2 = tf.nn.relu(batch_norm(tf.matmul(fcout1, W_conv2) + b_conv2))
 *   fcout1_back = tf.nn.relu(batch_norm(tf.matmul((fcout2-b_conv2),tf.transpose(W_conv2)),reuse=True))
 *   back_input = tf.matmul(fcout1_back-b_conv1,tf.transpose(W_conv1))
 *   prediction = tf.reshape(tf.nn.softmax(fcout2),[-1,CLASS_NUM])
 *   loss += rrfactor * reduce_mean(l2_loss(back_input - x)) + rrfactor * reduce_mean(l2_loss(fcout1_back - fcout1))
 *
 * `batch_norm` is tf.contrib.layers.batch_norm(epsilon=1e-3, center, scale): batch statistics
 * (biased variance) in training mode, the moving statistics in inference mode.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../../src/core/random.js';
import { forwardTrace } from '../../../src/train/trace.js';
import { softmaxCrossEntropy } from '../../../src/train/losses.js';
import type { TermContext } from '../../../src/train/term.js';
import {
  racecar,
  reconstruct,
  reversePass,
  reverseStart,
} from '../../../src/methods/racecar/index.js';
import { assertClose, useBackend } from '../../support.js';

before(() => useBackend());

type Matrix = number[][];
const toMatrix = (t: tf.Tensor): Matrix => t.arraySync() as Matrix;
const toVector = (t: tf.Tensor): number[] => Array.from(t.dataSync());
/** a·w for a [B, n], w [n, m]. */
const matMul = (a: Matrix, w: Matrix): Matrix =>
  a.map((row) => w[0].map((_, j) => row.reduce((s, v, k) => s + v * w[k][j], 0)));
/** a·wᵀ for a [B, m], w [n, m]. */
const matMulT = (a: Matrix, w: Matrix): Matrix =>
  a.map((row) => w.map((wRow) => wRow.reduce((s, v, j) => s + v * row[j], 0)));
const addRow = (a: Matrix, b: number[], sign = 1): Matrix =>
  a.map((row) => row.map((v, j) => v + sign * b[j]));
const relu = (a: Matrix): Matrix => a.map((row) => row.map((v) => Math.max(0, v)));
const softmax = (a: Matrix): Matrix =>
  a.map((row) => {
    const top = Math.max(...row);
    const e = row.map((v) => Math.exp(v - top));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  });
const halfSquaredError = (a: Matrix, b: Matrix): number =>
  0.5 * a.flat().reduce((s, v, i) => s + (v - b.flat()[i]) ** 2, 0);

/** The official batch_norm: batch statistics in training mode, else the moving ones. */
interface BnParams {
  gamma: number[];
  beta: number[];
  movingMean: number[];
  movingVariance: number[];
}
function officialBatchNorm(a: Matrix, p: BnParams, training: boolean): Matrix {
  const n = a.length;
  const mean = training
    ? a[0].map((_, j) => a.reduce((s, row) => s + row[j], 0) / n)
    : p.movingMean;
  const variance = training
    ? a[0].map((_, j) => a.reduce((s, row) => s + (row[j] - mean[j]) ** 2, 0) / n)
    : p.movingVariance;
  return a.map((row) =>
    row.map((v, j) => ((v - mean[j]) / Math.sqrt(variance[j] + 1e-3)) * p.gamma[j] + p.beta[j]),
  );
}

function randomizeBias(layer: tfl.layers.Layer, rng: Random): void {
  const [kernel, bias] = layer.getWeights();
  layer.setWeights([kernel, rng.normalTensor(bias.shape)]);
}

/** Non-trivial γ, β and moving statistics, so inference mode differs from training mode. */
function randomizeBatchNorm(layer: tfl.layers.Layer, rng: Random): BnParams {
  const units = layer.getWeights()[0].shape[0];
  const values = [
    tf.add(tf.abs(rng.normalTensor([units])), 0.5),
    rng.normalTensor([units]),
    rng.normalTensor([units]),
    tf.add(tf.abs(rng.normalTensor([units])), 0.5),
  ];
  layer.setWeights(values);
  const [gamma, beta, movingMean, movingVariance] = values.map(toVector);
  tf.dispose(values);
  return { gamma, beta, movingMean, movingVariance };
}

/** The toy of mnist_training.py: linear 784→10 with a fused softmax. */
function toyModel(rng: Random): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        name: 'dense_1',
        units: 10,
        activation: 'softmax',
        inputShape: [784],
        kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.seed() }),
      }),
    ],
  });
  randomizeBias(model.getLayer('dense_1'), rng);
  return model;
}

/** The model of peak_training.py: 784→128→2, BN + ReLU after both, then a softmax layer. */
function peakModel(rng: Random, hidden = 128): { model: tfl.Sequential; bn: BnParams[] } {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.seed() });
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        name: 'dense_1',
        units: hidden,
        inputShape: [784],
        kernelInitializer: init(),
      }),
      tfl.layers.batchNormalization({ name: 'bn_1' }),
      tfl.layers.activation({ name: 'act_1', activation: 'relu' }),
      tfl.layers.dense({ name: 'dense_2', units: 2, kernelInitializer: init() }),
      tfl.layers.batchNormalization({ name: 'bn_2' }),
      tfl.layers.activation({ name: 'act_2', activation: 'relu' }),
      tfl.layers.activation({ name: 'softmax', activation: 'softmax' }),
    ],
  });
  for (const name of ['dense_1', 'dense_2']) randomizeBias(model.getLayer(name), rng);
  const bn = ['bn_1', 'bn_2'].map((name) => randomizeBatchNorm(model.getLayer(name), rng));
  return { model, bn };
}

function weights(model: tfl.LayersModel, name: string): { w: Matrix; b: number[] } {
  const [kernel, bias] = model.getLayer(name).getWeights();
  return { w: toMatrix(kernel), b: toVector(bias) };
}

for (const training of [true, false]) {
  const mode = training ? 'training' : 'inference';

  test(`toy (linear 784→10): the default reverse pass is back_input = (fcout − b)·Wᵀ (${mode} mode)`, () => {
    const rng = new Random(11);
    const model = toyModel(rng);
    const { w, b } = weights(model, 'dense_1');
    tf.tidy(() => {
      const x = tf.mul(rng.uniformTensor([3, 784]), 255); // raw pixels, as the official toy
      const xs = toMatrix(x);
      const fcout = addRow(matMul(xs, w), b);
      const backInput = matMulT(addRow(fcout, b, -1), w);
      const trace = forwardTrace(model, x, training);
      const { states } = reversePass(trace);
      assert.deepEqual(
        states.map((s) => s.name),
        ['input'],
      );
      assertClose(states[0].reverse.dataSync(), backInput.flat(), { rtol: 1e-4, atol: 1e-2 });
      // the term is rrfactor · reduce_mean(l2_loss(back_input − x)) = ½·Σ (the mean of a scalar)
      const term = racecar({ lambda: 1e-5 }).compute({ trace } as TermContext);
      assertClose(term.dataSync()[0], halfSquaredError(backInput, xs), { rtol: 1e-4 });
      // …and the softmax feeds only the loss: the probabilities start is a different image
      const fromProbabilities = matMulT(addRow(softmax(fcout), b, -1), w);
      const probabilities = reversePass(trace, { start: 'probabilities' }).states[0].reverse;
      assertClose(probabilities.dataSync(), fromProbabilities.flat(), { atol: 1e-4 });
    });
    model.dispose();
  });

  test(`peak (784→128→2, BN+ReLU on both, softmax layer): the default reverse pass and loss are the official ones (${mode} mode)`, () => {
    const rng = new Random(12);
    const { model, bn } = peakModel(rng);
    const l1 = weights(model, 'dense_1');
    const l2 = weights(model, 'dense_2');
    tf.tidy(() => {
      const x = rng.uniformTensor([6, 784]);
      const xs = toMatrix(x);
      const fcout1 = relu(officialBatchNorm(addRow(matMul(xs, l1.w), l1.b), bn[0], training));
      const fcout2 = relu(officialBatchNorm(addRow(matMul(fcout1, l2.w), l2.b), bn[1], training));
      const fcout1Back = relu(
        officialBatchNorm(matMulT(addRow(fcout2, l2.b, -1), l2.w), bn[0], training),
      );
      const backInput = matMulT(addRow(fcout1Back, l1.b, -1), l1.w);

      const trace = forwardTrace(model, x, training);
      assertClose(trace.logits.dataSync(), fcout2.flat(), { atol: 1e-4 });
      const { states } = reversePass(trace);
      assert.deepEqual(
        states.map((s) => [s.name, s.weightLayer]),
        [
          ['act_1', 'dense_2'],
          ['input', 'dense_1'],
        ],
      );
      assertClose(states[0].reverse.dataSync(), fcout1Back.flat(), { atol: 1e-4, rtol: 1e-4 });
      assertClose(states[0].forward.dataSync(), fcout1.flat(), { atol: 1e-4, rtol: 1e-4 });
      assertClose(states[1].reverse.dataSync(), backInput.flat(), { atol: 1e-4, rtol: 1e-4 });
      const official = halfSquaredError(backInput, xs) + halfSquaredError(fcout1Back, fcout1);
      const term = racecar({ lambda: 1e-6 }).compute({ trace } as TermContext);
      assertClose(term.dataSync()[0], official, { rtol: 1e-4 });
      // reconstruct() is the same pass (inference mode unless asked)
      const image = reconstruct(model, x, { training });
      assertClose(image.dataSync(), backInput.flat(), { atol: 1e-4, rtol: 1e-4 });
    });
    model.dispose();
  });
}

test('a model ending in a Softmax layer gives the same logits, task loss and reverse pass as a fused softmax', () => {
  const rng = new Random(13);
  const fused = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'dense_1', units: 7, activation: 'tanh', inputShape: [5] }),
      tfl.layers.dense({ name: 'dense_2', units: 3, activation: 'softmax' }),
    ],
  });
  const split = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'dense_1', units: 7, activation: 'tanh', inputShape: [5] }),
      tfl.layers.dense({ name: 'dense_2', units: 3 }),
      tfl.layers.softmax({ name: 'softmax' }),
    ],
  });
  const activationLayer = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'dense_1', units: 7, activation: 'tanh', inputShape: [5] }),
      tfl.layers.dense({ name: 'dense_2', units: 3 }),
      tfl.layers.activation({ name: 'softmax', activation: 'softmax' }),
    ],
  });
  for (const name of ['dense_1', 'dense_2']) randomizeBias(fused.getLayer(name), rng);
  for (const other of [split, activationLayer]) other.setWeights(fused.getWeights());
  tf.tidy(() => {
    const x = rng.normalTensor([4, 5]);
    const labels = Int32Array.from([0, 2, 1, 2]);
    const batch = { x, y: tf.oneHot(tf.tensor1d(labels, 'int32'), 3) as tf.Tensor2D, labels };
    const reference = forwardTrace(fused, x, true);
    const referenceStates = reversePass(reference).states;
    for (const model of [split, activationLayer]) {
      const trace = forwardTrace(model, x, true);
      assert.equal(trace.endsInSoftmax, true);
      assertClose(trace.logits.dataSync(), reference.logits.dataSync(), { atol: 1e-6 });
      assertClose(trace.output.dataSync(), reference.output.dataSync(), { atol: 1e-6 });
      // not a double softmax: the loss is the fused model's
      assertClose(
        softmaxCrossEntropy(trace, batch).dataSync()[0],
        softmaxCrossEntropy(reference, batch).dataSync()[0],
        { atol: 1e-6 },
      );
      const states = reversePass(trace).states;
      assert.equal(states.length, referenceStates.length);
      states.forEach((state, k) =>
        assertClose(state.reverse.dataSync(), referenceStates[k].reverse.dataSync(), {
          atol: 1e-5,
        }),
      );
      // the probabilities start differs from the default: `start` is not ignored
      const fromOutput = reversePass(trace, { start: 'probabilities' }).states.at(-1)!.reverse;
      const difference = tf.max(tf.abs(tf.sub(fromOutput, states.at(-1)!.reverse))).dataSync()[0];
      assert.ok(
        difference > 1e-2,
        `probabilities start equals the default (max diff ${difference})`,
      );
    }
  });
  for (const model of [fused, split, activationLayer]) model.dispose();
});

test('a model without a softmax starts from its output; start names are checked, old names are aliases', () => {
  assert.equal(reverseStart(undefined), 'pre-softmax');
  assert.equal(reverseStart('logits'), 'pre-softmax');
  assert.equal(reverseStart('output'), 'probabilities');
  assert.throws(() => reverseStart('softmax'), /unknown racecar start "softmax"/);
  assert.throws(() => racecar({ lambda: 1, start: 'logit' as 'logits' }), /pre-softmax/);
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ name: 'dense_1', units: 3, inputShape: [4] })],
  });
  tf.tidy(() => {
    const trace = forwardTrace(model, new Random(3).normalTensor([2, 4]), false);
    assert.equal(trace.endsInSoftmax, false);
    assert.equal(trace.logits, trace.output);
  });
  model.dispose();
});
