/**
 * The activation monitor: sliced W1 by sorting on cases with known answers, and the per-layer
 * mean/variance against JavaScript references.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { buildModel } from '../../src/models/zoo.js';
import { forwardTrace, traceLayer } from '../../src/train/trace.js';
import type { Batch } from '../../src/data/dataset.js';
import { activationStats, slicedWasserstein1 } from '../../src/monitors/activation-stats.js';
import { wasserstein1Empirical } from '../../src/analysis/stats.js';
import { assertClose, useBackend } from '../support.js';

before(() => useBackend());

test('1-D empirical W1: identical samples give 0, a shift by c gives |c|, order does not matter', () => {
  assert.equal(wasserstein1Empirical([3, 1, 2], [2, 3, 1]), 0);
  assertClose(wasserstein1Empirical([0, 1, 5], [0.7, 1.7, 5.7]), 0.7, { atol: 1e-12 });
  assertClose(wasserstein1Empirical([0, 0], [1, 3]), 2, { atol: 1e-12 });
  assert.throws(() => wasserstein1Empirical([1], [1, 2]), /equal size/);
});

test('sliced W1: identical samples → 0; a shift c·u → |c|·mean_k |⟨θ_k, u⟩| (exactly, per slice)', () => {
  const rng = new Random(3);
  const a = tf.tensor2d(
    Float32Array.from({ length: 50 * 4 }, () => rng.normal()),
    [50, 4],
  );
  const u = tf.tensor2d([[0.5, -0.5, 0.5, 0.5]]); // unit vector
  const shifted = tf.add(a, tf.mul(2, u)) as tf.Tensor2D;
  const directions = rng.unitDirections(4, 32);
  assert.equal(slicedWasserstein1(a, a, directions), 0);
  // A shift moves every projection by c⟨θ, u⟩, so each 1-D W1 is |c⟨θ, u⟩|.
  const expected = tf.tidy(
    () => tf.mean(tf.abs(tf.matMul(tf.mul(2, u), directions))).dataSync()[0],
  );
  assertClose(slicedWasserstein1(a, shifted, directions), expected, { atol: 1e-5 });
  assert.ok(expected > 0.5); // the shift is visible, not a vacuous 0 = 0

  tf.dispose([a, u, shifted, directions]);
});

test('activationStats reports per-layer mean, mean per-unit variance and a sliced W1 that sees a shift', () => {
  const model = buildModel('mlp:16', {
    inputShape: [8],
    numClasses: 2,
    rng: new Random(1),
    activation: 'tanh',
  });
  const rng = new Random(2);
  const x = tf.tensor2d(
    Float32Array.from({ length: 256 * 8 }, () => rng.normal()),
    [256, 8],
  );
  const monitor = activationStats({ slices: 16, seed: 4 });
  const stats = tf.tidy(() => {
    const trace = forwardTrace(model, x, false);
    const out = monitor.compute({ trace, batch: {} as Batch, model, rng: new Random(0), step: 0 });
    const h = traceLayer(trace, 'dense_1').output;
    const rows = h.shape[0];
    const values = h.dataSync();
    const units = h.shape[1] as number;
    let mean = 0;
    let variance = 0;
    for (let j = 0; j < units; j++) {
      let m = 0;
      for (let i = 0; i < rows; i++) m += values[i * units + j] / rows;
      let v = 0;
      for (let i = 0; i < rows; i++) v += (values[i * units + j] - m) ** 2 / rows;
      mean += m / units;
      variance += v / units;
    }
    return { out, mean, variance };
  });
  assert.deepEqual(Object.keys(stats.out), ['dense_1/mean', 'dense_1/var', 'dense_1/sw1']);
  assertClose(stats.out['dense_1/mean'], stats.mean, { atol: 1e-6 });
  assertClose(stats.out['dense_1/var'], stats.variance, { rtol: 1e-4 });
  // tanh activations have variance < 1 and differ from N(0, I): SW1 well above the sampling floor.
  assert.ok(stats.out['dense_1/sw1'] > 0.1, `sw1 ${stats.out['dense_1/sw1']}`);

  // N(0, I) samples passed through an identity layer are at the two-sample floor (O(1/√n)).
  const identity = buildModel('mlp:8', {
    inputShape: [8],
    numClasses: 2,
    rng: new Random(1),
    activation: 'linear',
  });
  identity.getLayer('dense_1').setWeights([tf.eye(8), tf.zeros([8])]);
  const floor = tf.tidy(() => {
    const trace = forwardTrace(identity, x, false);
    return activationStats({ slices: 16 }).compute({
      trace,
      batch: {} as Batch,
      model: identity,
      rng: new Random(0),
      step: 0,
    });
  });
  assert.ok(floor['dense_1/sw1'] < 2 / Math.sqrt(256), `floor ${floor['dense_1/sw1']}`);
  assert.ok(
    floor['dense_1/sw1'] < stats.out['dense_1/sw1'] / 2,
    `floor ${floor['dense_1/sw1']} vs ${stats.out['dense_1/sw1']}`,
  );
  x.dispose();
});
