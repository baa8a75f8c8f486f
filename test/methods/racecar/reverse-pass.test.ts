import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../../src/core/random.js';
import { ReglabError } from '../../../src/core/errors.js';
import { makeDataset, type Dataset } from '../../../src/data/dataset.js';
import { buildModel } from '../../../src/models/zoo.js';
import { forwardTrace } from '../../../src/train/trace.js';
import { Trainer } from '../../../src/train/trainer.js';
import { builtinRegistries } from '../../../src/registry.js';
import type { TermContext } from '../../../src/train/term.js';
import {
  RacecarTerm,
  type OrthogonalityTerm,
  orthogonality,
  racecar,
  reconstruct,
  reversePass,
} from '../../../src/methods/racecar/index.js';
import { ResidualDense } from '../../../src/models/residual.js';
import {
  assertClose,
  assertNoLeak,
  checkGradientByCentralDifferences,
  useBackend,
} from '../../support.js';

before(() => useBackend());

type Matrix = number[][];
const matrix = (t: tf.Tensor): Matrix => t.arraySync() as Matrix;
const matMulT = (a: Matrix, w: Matrix): Matrix =>
  a.map((row) => w.map((wRow) => wRow.reduce((s, v, j) => s + v * row[j], 0))); // a·wᵀ
const minus = (a: Matrix, b: number[]): Matrix => a.map((row) => row.map((v, j) => v - b[j]));
const relu = (a: Matrix): Matrix => a.map((row) => row.map((v) => Math.max(0, v)));
/** Batch norm over the batch axis with biased variance (TF's moments). */
function batchNorm(a: Matrix, gamma: number[], beta: number[], epsilon: number): Matrix {
  const n = a.length;
  const mean = a[0].map((_, j) => a.reduce((s, row) => s + row[j], 0) / n);
  const variance = a[0].map((_, j) => a.reduce((s, row) => s + (row[j] - mean[j]) ** 2, 0) / n);
  return a.map((row) =>
    row.map((v, j) => ((v - mean[j]) / Math.sqrt(variance[j] + epsilon)) * gamma[j] + beta[j]),
  );
}

/** A 2-layer MLP with random (non-zero) biases. */
function twoLayer(seed: number, batchNorm: boolean): tfl.LayersModel {
  const rng = new Random(seed);
  const model = buildModel('mlp:5', { inputShape: [6], numClasses: 3, rng, batchNorm });
  for (const name of ['dense_1', 'dense_2']) {
    const layer = model.getLayer(name);
    const [kernel, bias] = layer.getWeights();
    layer.setWeights([kernel, rng.normalTensor(bias.shape)]);
  }
  if (batchNorm) {
    const bn = model.getLayer('bn_1');
    const [, , mean, variance] = bn.getWeights();
    bn.setWeights([tf.add(rng.normalTensor([5]), 1), rng.normalTensor([5]), mean, variance]);
  }
  return model;
}

test('the chained reverse pass of a 2-layer MLP equals the hand-written formula (fused ReLU)', () => {
  const model = twoLayer(1, false);
  tf.tidy(() => {
    const x = new Random(2).normalTensor([4, 6]);
    const trace = forwardTrace(model, x, true);
    const { states } = reversePass(trace);
    const [w1, b1] = model.getLayer('dense_1').getWeights().map(matrix) as [Matrix, Matrix];
    const [w2, b2] = model.getLayer('dense_2').getWeights().map(matrix) as [Matrix, Matrix];
    const d3 = matrix(trace.logits); // the last value before the softmax, as the official code
    const d2 = relu(matMulT(minus(d3, b2 as unknown as number[]), w2)); // d'_2 = f_1(W_2ᵀ(d_3 − b_2))
    const d1 = matMulT(minus(d2, b1 as unknown as number[]), w1); //         d'_1 = W_1ᵀ(d'_2 − b_1)
    assert.deepEqual(
      states.map((s) => [s.name, s.weightLayer]),
      [
        ['dense_1', 'dense_2'],
        ['input', 'dense_1'],
      ],
    );
    assertClose(states[0].reverse.dataSync(), d2.flat(), { atol: 1e-5 });
    assertClose(states[1].reverse.dataSync(), d1.flat(), { atol: 1e-5 });
    assertClose(states[0].forward.dataSync(), trace.layers[1].input.dataSync(), { atol: 0 });
    // layerwise: dense_1 reconstructs its input from the *forward* d_2
    const layerwise = reversePass(trace, { mode: 'layerwise' }).states;
    const fromForward = matMulT(
      minus(matrix(trace.layers[0].output), b1 as unknown as number[]),
      w1,
    );
    assertClose(layerwise[1].reverse.dataSync(), fromForward.flat(), { atol: 1e-5 });
  });
});

test('with BatchNormalization the reverse pass applies the shared BN (batch statistics) then the activation', () => {
  const model = twoLayer(3, true);
  tf.tidy(() => {
    const x = new Random(4).normalTensor([8, 6]);
    const trace = forwardTrace(model, x, true);
    const { states } = reversePass(trace);
    const [w1, b1] = model.getLayer('dense_1').getWeights().map(matrix) as [Matrix, Matrix];
    const [w2, b2] = model.getLayer('dense_2').getWeights().map(matrix) as [Matrix, Matrix];
    const [gamma, beta] = model
      .getLayer('bn_1')
      .getWeights()
      .map((w) => Array.from(w.dataSync()));
    const u = matMulT(minus(matrix(trace.logits), b2 as unknown as number[]), w2);
    const d2 = relu(batchNorm(u, gamma, beta, 1e-3));
    const d1 = matMulT(minus(d2, b1 as unknown as number[]), w1);
    assert.deepEqual(
      states.map((s) => s.name),
      ['act_1', 'input'],
    );
    assertClose(states[0].reverse.dataSync(), d2.flat(), { atol: 1e-4 });
    assertClose(states[1].reverse.dataSync(), d1.flat(), { atol: 1e-4 });
  });
});

test('racecar loss is ½Σ‖d′ − d‖² (sum) and ½·mean per state (mean); layer selection and weights', () => {
  const model = twoLayer(5, false);
  tf.tidy(() => {
    const x = new Random(6).normalTensor([4, 6]);
    const trace = forwardTrace(model, x, true);
    const { states } = reversePass(trace);
    const sq = states.map((s) => tf.sum(tf.square(tf.sub(s.reverse, s.forward))).dataSync()[0]);
    const context = { trace } as TermContext;
    assertClose(racecar({ lambda: 1 }).compute(context).dataSync()[0], 0.5 * (sq[0] + sq[1]), {
      rtol: 1e-5,
    });
    assertClose(
      racecar({ lambda: 1, reduction: 'mean' }).compute(context).dataSync()[0],
      0.5 * (sq[0] / 20 + sq[1] / 24),
      { rtol: 1e-5 },
    );
    assertClose(
      racecar({ lambda: 1, layers: ['input'] })
        .compute(context)
        .dataSync()[0],
      0.5 * sq[1],
      { rtol: 1e-5 },
    );
    assertClose(
      racecar({ lambda: 1, layers: ['dense_2'] })
        .compute(context)
        .dataSync()[0],
      0.5 * sq[0],
      { rtol: 1e-5 },
    );
    assertClose(
      racecar({ lambda: 1, layerWeights: { input: 3 } })
        .compute(context)
        .dataSync()[0],
      0.5 * (sq[0] + 3 * sq[1]),
      { rtol: 1e-5 },
    );
  });
});

test('finite differences confirm the gradient of the racecar loss (tiny tanh net)', () => {
  const rng = new Random(7);
  const model = buildModel('mlp:4', { inputShape: [3], numClasses: 2, rng, activation: 'tanh' });
  const x = tf.tensor2d([
    [0.5, -1, 0.3],
    [1.2, 0.4, -0.7],
  ]);
  const term = racecar({ lambda: 1 });
  const loss = () => term.compute({ trace: forwardTrace(model, x, true) } as TermContext);
  const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const checked = checkGradientByCentralDifferences(
    loss,
    weights,
    1e-2,
    (analytic, numeric, name) =>
      assertClose(analytic, numeric, { atol: 2e-3, rtol: 2e-2, message: name }),
  );
  assert.equal(checked, 3 * 4 + 4 + 4 * 2 + 2);
  x.dispose();
});

test('reconstruct returns d′_1 shaped like x, for MLP, CNN with BN and a residual block', () => {
  const rng = new Random(8);
  const cnn = smallCnn(rng);
  const residual = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 4, inputShape: [5], activation: 'relu' }),
      new ResidualDense({ seed: 1 }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  for (const [model, shape] of [
    [cnn, [2, 8, 8, 1]],
    [residual, [3, 5]],
  ] as const) {
    const x = rng.normalTensor([...shape]);
    const before = tf.memory().numTensors;
    const out = reconstruct(model, x);
    assert.deepEqual(out.shape, [...shape]);
    assert.ok(Array.from(out.dataSync()).every(Number.isFinite));
    assert.equal(tf.memory().numTensors, before + 1, 'only the result survives');
    tf.dispose([x, out]);
  }
});

test('an unsupported layer is rejected before training, naming it', () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1] }),
      tfl.layers.globalMaxPooling2d({ name: 'gmp' }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  assert.throws(
    () => racecar({ lambda: 1 }).prepare(model),
    (e: unknown) => e instanceof ReglabError && /"gmp" \(GlobalMaxPooling2D\)/.test(e.message),
  );
  const mlp = buildModel('mlp:4', { inputShape: [3], numClasses: 2, rng: new Random(1) });
  assert.throws(() => racecar({ lambda: 1, layers: ['dense_9'] }).prepare(mlp), /dense_9/);
});

test('term factories parse racecar and ort specs', () => {
  const rng = new Random(0);
  const { terms } = builtinRegistries();
  const rr = terms.create('racecar:mean:layerwise:1e-5@input', { rng }) as RacecarTerm;
  assert.equal(rr.weight, 1e-5);
  assert.equal(rr.options.reduction, 'mean');
  assert.equal(rr.options.mode, 'layerwise');
  assert.deepEqual(rr.options.layers, ['input']);
  const start = (text: string) => (terms.create(text, { rng }) as RacecarTerm).options.start;
  assert.equal(start('racecar:1e-5'), 'pre-softmax');
  assert.equal(start('racecar:probabilities:1e-5'), 'probabilities');
  assert.equal(start('racecar:start=probabilities:1e-5'), 'probabilities');
  assert.equal(start('racecar:logits:1e-5'), 'pre-softmax'); // deprecated alias
  assert.equal(start('racecar:output:1e-5'), 'probabilities'); // deprecated alias
  const ort = terms.create('ort:frobenius:0.1', { rng }) as OrthogonalityTerm;
  assert.deepEqual([ort.name, ort.weight, ort.kind], ['ort', 0.1, 'frobenius']);
  assert.equal((terms.create('ort:0.1', { rng }) as OrthogonalityTerm).kind, 'srip');
  assert.throws(() => terms.create('racecar:median:1e-5', { rng }), /unknown option "median"/);
  assert.throws(() => terms.create('racecar:reduction=median:1', { rng }), /not one of sum, mean/);
  assert.throws(
    () => terms.create('racecar:layerwize:1e-5', { rng }),
    /racecar accepts sum, mean, full, layerwise/,
  );
  assert.throws(
    () => terms.create('ort:frobenious:0.1', { rng }),
    /unknown option "frobenious" in "ort:frobenious:0.1" — ort accepts srip, frobenius/,
  );
  assert.throws(() => terms.create('ort:srip:frobenius:0.1', { rng }), /sets kind twice/);
  assert.throws(() => terms.create('racecar', { rng }), /needs λ/);
});

/** conv(4) → BN → ReLU → max pool → flatten → dense softmax: every conv-net reverse op, fast on cpu. */
function smallCnn(rng: Random): tfl.Sequential {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.seed() });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: 'conv_1',
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        inputShape: [8, 8, 1],
        kernelInitializer: init(),
      }),
      tfl.layers.batchNormalization({ name: 'bn_1' }),
      tfl.layers.activation({ name: 'act_1', activation: 'relu' }),
      tfl.layers.maxPooling2d({ name: 'pool_1', poolSize: 2 }),
      tfl.layers.flatten({ name: 'flatten' }),
      tfl.layers.dense({
        name: 'dense_1',
        units: 3,
        activation: 'softmax',
        kernelInitializer: init(),
      }),
    ],
  });
}

function toyData(n: number, seed: number): Dataset {
  const rng = new Random(seed);
  const x = Float32Array.from({ length: n * 64 }, () => rng.uniform());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return makeDataset({ name: 'toy', x, labels, sampleShape: [8, 8, 1], numClasses: 3 });
}

test('training with racecar and ort terms does not leak and lowers the racecar loss', async () => {
  const data = toyData(24, 9);
  for (const spec of ['mlp:16', 'small-cnn-bn']) {
    const rng = new Random(10);
    const model =
      spec === 'mlp:16'
        ? buildModel(spec, { inputShape: [8, 8, 1], numClasses: 3, rng })
        : smallCnn(rng);
    const trainer = new Trainer({
      model,
      optimizer: tf.train.adam(1e-2),
      terms: [racecar({ lambda: 1e-2 }), orthogonality({ factor: 0.1 })],
      rng,
    });
    const first = (await trainer.trainEpoch(data, 8)).terms.racecar;
    await assertNoLeak(() => trainer.trainEpoch(data, 8), 2);
    const last = (await trainer.trainEpoch(data, 8)).terms.racecar;
    assert.ok(last < first, `${spec}: racecar loss ${first} → ${last}`);
  }
});
