/**
 * The Langevin optimizers through reglab's Trainer (which calls `optimizer.minimize(f, true,
 * varList)` with the model's trainable variables, not tfjs-layers `fit`): a small MLP trains a
 * few steps with a circle-constrained UnderdampedLangevin, the constraint holds after every step,
 * the loss goes down, and nothing leaks.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../src/core/random.js';
import { makeBatch, disposeBatch } from '../../../src/data/dataset.js';
import { buildModel } from '../../../src/models/zoo.js';
import { Trainer } from '../../../src/train/trainer.js';
import { UnderdampedLangevin } from '../../../src/methods/langevin/index.js';
import { assertNoLeak, toyTwoClassData, useBackend } from '../../support.js';

before(() => useBackend());

test('Trainer + circle-constrained UnderdampedLangevin: |w| ≤ r and w² + ξ² = r² after every step, loss decreases', async () => {
  const n = 64;
  const data = toyTwoClassData(n, 3);
  const rng = new Random(4);
  const batch = makeBatch(
    data,
    Array.from({ length: n }, (_, i) => i),
  );
  const model = buildModel('mlp:32', { inputShape: [4, 4, 1], numClasses: 2, rng });
  const r = 0.05;
  const optimizer = new UnderdampedLangevin({
    h: 0.3,
    gamma: 1,
    tau: 0,
    constraints: `circle:${r}@dense_1`,
  });
  const trainer = new Trainer({ model, optimizer, terms: [], rng });
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    losses.push(trainer.trainStep(batch).loss);
    const residuals = optimizer.residuals();
    assert.ok(
      residuals['dense_1/kernel'] < 1e-5,
      `step ${step}: residual ${residuals['dense_1/kernel']}`,
    );
    const maxAbs = tf.tidy(
      () => tf.max(tf.abs(model.getLayer('dense_1').getWeights()[0])).dataSync()[0],
    );
    assert.ok(maxAbs <= r * (1 + 1e-6), `step ${step}: max|w| = ${maxAbs} > r`);
  }
  assert.deepEqual(
    Object.keys(optimizer.residuals()),
    ['dense_1/kernel'],
    'only dense_1/kernel is constrained',
  );
  assert.ok(
    losses[losses.length - 1] < 0.8 * losses[0],
    `loss ${losses[0]} → ${losses[losses.length - 1]}`,
  );
  await assertNoLeak(() => trainer.trainStep(batch), 3);
  disposeBatch(batch);
  optimizer.dispose();
  model.dispose();
});
