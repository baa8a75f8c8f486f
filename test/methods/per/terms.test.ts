/**
 * The activation terms on real models: which tensors they read (post/pre, BN chains, conv
 * modes), PER against a re-computation with the same seeded directions, L1/L2/DeCov/VCL
 * against brute-force JavaScript, the CLI factories, and no leaks in trainer steps.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../../src/core/random.js';
import { ReglabError } from '../../../src/core/errors.js';
import { disposeBatch, makeBatch, makeDataset, type Batch } from '../../../src/data/dataset.js';
import { buildModel } from '../../../src/models/zoo.js';
import { forwardTrace, traceLayer, type ForwardTrace } from '../../../src/train/trace.js';
import type { RegularizationTerm, TermContext } from '../../../src/train/term.js';
import { Trainer } from '../../../src/train/trainer.js';
import { builtinRegistries } from '../../../src/registry.js';
import {
  DecovTerm,
  PerTerm,
  VclTerm,
  decov,
  decovPenalty,
  l1Activation,
  l2Activation,
  per,
  projectedErrorLoss,
  vcl,
} from '../../../src/methods/per/index.js';
import { activationStats } from '../../../src/monitors/activation-stats.js';
import { resolveSites } from '../../../src/models/anatomy.js';
import { assertClose, assertNoLeak, useBackend } from '../../support.js';

before(() => useBackend());

function mlp(
  seed: number,
  options: { batchNorm?: boolean; activation?: 'elu' | 'tanh' } = {},
): tfl.LayersModel {
  return buildModel('mlp:6,5', {
    inputShape: [4],
    numClasses: 3,
    rng: new Random(seed),
    activation: options.activation ?? 'elu',
    ...options,
  });
}

function inputs(rows: number, width: number[], seed: number): tf.Tensor {
  const rng = new Random(seed);
  return tf.tensor(
    Float32Array.from({ length: rows * width.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    [rows, ...width],
  );
}

/** Runs `term` on a trace of `model` for `x` with a generator seeded `seed`; returns its value. */
function termValue(
  term: RegularizationTerm,
  model: tfl.LayersModel,
  x: tf.Tensor,
  seed = 0,
): number {
  return tf.tidy(() => {
    const trace = forwardTrace(model, x, true);
    const context: TermContext = {
      trace,
      batch: {} as Batch,
      model,
      rng: new Random(seed),
      step: 0,
    };
    term.prepare?.(model);
    return term.compute(context).dataSync()[0];
  });
}

/** A trace tensor's rows as JS arrays. */
function rowsOf(t: tf.Tensor): number[][] {
  const flat = Array.from(t.dataSync());
  const width = t.size / t.shape[0];
  return Array.from({ length: t.shape[0] }, (_, i) => flat.slice(i * width, (i + 1) * width));
}

function withTrace<T>(model: tfl.LayersModel, x: tf.Tensor, read: (trace: ForwardTrace) => T): T {
  let result!: T;
  tf.tidy(() => {
    result = read(forwardTrace(model, x, true));
  });
  return result;
}

test('default sites: hidden weight layers, post = after the activation, pre = before it', () => {
  const fused = mlp(1);
  assert.deepEqual(
    resolveSites(fused).map((s) => [s.name, s.node, s.tensor]),
    [
      ['dense_1', 'dense_1', 'output'],
      ['dense_2', 'dense_2', 'output'],
    ],
  );
  assert.deepEqual(
    resolveSites(fused, undefined, 'pre').map((s) => s.tensor),
    ['preActivation', 'preActivation'],
  );
  const chained = mlp(1, { batchNorm: true });
  assert.deepEqual(
    resolveSites(chained).map((s) => [s.name, s.node, s.tensor]),
    [
      ['dense_1', 'act_1', 'output'],
      ['dense_2', 'act_2', 'output'],
    ],
  );
  assert.deepEqual(
    resolveSites(chained, undefined, 'pre').map((s) => [s.node, s.tensor]),
    [
      ['act_1', 'input'],
      ['act_2', 'input'],
    ],
  );
  assert.deepEqual(
    resolveSites(chained, ['bn_2', 'dense_3']).map((s) => [s.node, s.tensor]),
    [
      ['bn_2', 'output'],
      ['dense_3', 'output'],
    ],
  );
  assert.throws(
    () => resolveSites(fused, ['dense_9']),
    (e: unknown) => e instanceof ReglabError && /dense_9.*dense_1/.test(e.message),
  );
  const linear = buildModel('linear', { inputShape: [4], numClasses: 3, rng: new Random(1) });
  assert.throws(() => resolveSites(linear), /has no hidden layer/);
});

test('PER equals Σ_layers projectedErrorLoss on the same seeded directions (post and pre)', () => {
  const model = mlp(2);
  const x = inputs(8, [4], 3);
  for (const placement of ['post', 'pre'] as const) {
    const value = termValue(per({ lambda: 1, slices: 16, placement }), model, x, 9);
    const expected = withTrace(model, x, (trace) => {
      const rng = new Random(9);
      return ['dense_1', 'dense_2']
        .map((name) => {
          const entry = traceLayer(trace, name);
          const h = (placement === 'post' ? entry.output : entry.preActivation) as tf.Tensor2D;
          return projectedErrorLoss(h, rng.unitDirections(h.shape[1], 16)).dataSync()[0];
        })
        .reduce((a, b) => a + b);
    });
    assertClose(value, expected, { rtol: 1e-6, message: placement });
  }
  x.dispose();
});

test('conv maps: flatten = C·H·W per sample, channels = every position a sample of C channels', () => {
  const model = buildModel('cnn', { inputShape: [6, 6, 1], numClasses: 2, rng: new Random(4) });
  const x = inputs(3, [6, 6, 1], 5);
  const sites = ['conv_1'];
  for (const conv of ['flatten', 'channels'] as const) {
    const value = termValue(per({ lambda: 1, slices: 8, conv, layers: sites }), model, x, 2);
    const expected = withTrace(model, x, (trace) => {
      const map = traceLayer(trace, 'conv_1').output; // [3, 6, 6, 32]
      const h = (
        conv === 'flatten' ? tf.reshape(map, [3, 6 * 6 * 32]) : tf.reshape(map, [3 * 36, 32])
      ) as tf.Tensor2D;
      return projectedErrorLoss(h, new Random(2).unitDirections(h.shape[1], 8)).dataSync()[0];
    });
    assertClose(value, expected, { rtol: 1e-6, message: conv });
  }
  assert.deepEqual(
    resolveSites(model).map((s) => s.name),
    ['conv_1', 'conv_2'],
  );
  x.dispose();
});

test('L1 and L2 activation penalties are (1/b) Σ |h|^p over the layers', () => {
  const model = mlp(5, { activation: 'tanh' });
  const x = inputs(6, [4], 6);
  const hidden = withTrace(model, x, (trace) =>
    ['dense_1', 'dense_2'].map((name) => rowsOf(traceLayer(trace, name).output)),
  );
  const reference = (p: number) => hidden.flat(2).reduce((s, v) => s + Math.abs(v) ** p, 0) / 6;
  assertClose(termValue(l1Activation({ lambda: 1 }), model, x), reference(1), { rtol: 1e-5 });
  assertClose(termValue(l2Activation({ lambda: 1 }), model, x), reference(2), { rtol: 1e-5 });
  x.dispose();
});

/** ½(‖C‖²_F − ‖diag C‖²) of the biased covariance, by loops. */
function bruteDecov(rows: number[][]): number {
  const n = rows.length;
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  let offDiagonal = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      if (i === j) continue;
      const c = rows.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / n;
      offDiagonal += c * c;
    }
  }
  return 0.5 * offDiagonal;
}

test('DeCov matches brute force on both Gram branches (N < d and N > d) and as a term', () => {
  for (const [n, d] of [
    [4, 9],
    [12, 3],
  ]) {
    const x = inputs(n, [d], n + d);
    const value = tf.tidy(() => decovPenalty(x as tf.Tensor2D).dataSync()[0]);
    assertClose(value, bruteDecov(rowsOf(x)), { rtol: 1e-4, atol: 1e-6, message: `${n}×${d}` });
    x.dispose();
  }
  const model = mlp(7);
  const x = inputs(10, [4], 8);
  const expected = withTrace(
    model,
    x,
    (trace) =>
      bruteDecov(rowsOf(traceLayer(trace, 'dense_1').output)) +
      bruteDecov(rowsOf(traceLayer(trace, 'dense_2').output)),
  );
  assertClose(termValue(decov({ lambda: 1 }), model, x), expected, { rtol: 1e-4 });
  x.dispose();
});

test('VCL: mean over units of (1 − s²_A/(s²_B + β))² with groups of n, β trained with the model', () => {
  const model = mlp(9);
  const x = inputs(12, [4], 10);
  const term = vcl({ lambda: 1, groupSize: 4 });
  const expected = withTrace(model, x, (trace) =>
    ['dense_1', 'dense_2']
      .map((name) => {
        const rows = rowsOf(traceLayer(trace, name).preActivation as tf.Tensor);
        const variance = (group: number[][], j: number) => {
          const m = group.reduce((s, r) => s + r[j], 0) / group.length;
          return group.reduce((s, r) => s + (r[j] - m) ** 2, 0) / group.length;
        };
        const units = rows[0].length;
        let sum = 0;
        for (let j = 0; j < units; j++)
          sum += (1 - variance(rows.slice(0, 4), j) / (variance(rows.slice(4, 8), j) + 1)) ** 2;
        return sum / units;
      })
      .reduce((a, b) => a + b),
  );
  assertClose(termValue(term, model, x), expected, { rtol: 1e-5 });
  assert.deepEqual(
    term.variables.map((v) => v.shape),
    [[6], [5]],
  );
  // One SGD step moves β (its gradient flows through the trainer).
  const trainer = new Trainer({
    model,
    optimizer: tf.train.sgd(0.5),
    terms: [term],
    rng: new Random(1),
  });
  assert.ok(trainer.trainableVariables().includes(term.variables[0]));
  const batch = {
    x,
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32'), 3) as tf.Tensor2D,
    labels: new Int32Array(12),
  };
  trainer.trainStep(batch);
  assert.ok(Array.from(term.variables[0].dataSync()).some((b) => Math.abs(b - 1) > 1e-6));
  assert.throws(() => termValue(vcl({ lambda: 1, groupSize: 7 }), model, x), /at least 14 samples/);
  (term as VclTerm).dispose();
  tf.dispose([x, batch.y]);
});

test('spec factories parse options, layers and reject typos', () => {
  const rng = new Random(0);
  const { terms, monitors } = builtinRegistries();
  const perTerm = terms.create('per:pre:channels:slices=128:1e-4@dense_1,dense_2', {
    rng,
  }) as PerTerm;
  assert.deepEqual(
    [
      perTerm.name,
      perTerm.weight,
      perTerm.slices,
      perTerm.selector.placement,
      perTerm.selector.conv,
    ],
    ['per', 1e-4, 128, 'pre', 'channels'],
  );
  assert.deepEqual(perTerm.selector.layers, ['dense_1', 'dense_2']);
  assert.equal(terms.create('l1act:1e-5', { rng }).name, 'l1act');
  assert.equal(terms.create('l2act:1e-5', { rng }).weight, 1e-5);
  assert.equal((terms.create('vcl:group=3:0.01', { rng }) as VclTerm).groupSize, 3);
  assert.equal((terms.create('vcl:0.01', { rng }) as VclTerm).selector.placement, 'pre');
  assert.equal((terms.create('decov:1e-3', { rng }) as DecovTerm).selector.conv, 'channels');
  assert.throws(
    () => terms.create('per:chanels:1e-4', { rng }),
    /unknown option "chanels".*channels/,
  );
  assert.throws(() => terms.create('per:slices=0:1e-4', { rng }), /slices "0".*≥ 1/);
  assert.throws(() => terms.create('per:pre:post:1e-4', { rng }), /sets placement twice/);
  assert.equal(monitors.create('activations:slices=8', { rng }).name, 'activations');
});

test('trainer steps with every term and the monitor do not leak tensors, and runs are seeded', async () => {
  const rng = new Random(3);
  const n = 40;
  const x = Float32Array.from({ length: n * 4 }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = makeDataset({ name: 'toy', x, labels, sampleShape: [4], numClasses: 3 });
  const makeTrainer = () => {
    const terms = [
      per({ lambda: 1e-2, slices: 8 }),
      l1Activation({ lambda: 1e-3 }),
      l2Activation({ lambda: 1e-3 }),
      vcl({ lambda: 1e-2 }),
      decov({ lambda: 1e-3 }),
    ];
    const monitors = [activationStats({ slices: 4 })];
    return new Trainer({
      model: mlp(11),
      optimizer: tf.train.adam(1e-2),
      terms,
      monitors,
      rng: new Random(12),
    });
  };
  const trainer = makeTrainer();
  await assertNoLeak(() => trainer.trainEpoch(data, 20));
  await assertNoLeak(() => trainer.runMonitors(data, 20));
  const [a, b] = [makeTrainer(), makeTrainer()];
  const batch = makeBatch(
    data,
    Int32Array.from({ length: 20 }, (_, i) => i),
  );
  assert.deepEqual(a.trainStep(batch), b.trainStep(batch));
  disposeBatch(batch);
});
