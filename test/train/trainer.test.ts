import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { makeBatch, disposeBatch } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/zoo.js';
import { Trainer } from '../../src/train/trainer.js';
import type { RegularizationTerm } from '../../src/train/term.js';
import { assertClose, assertNoLeak, toyTwoClassData, useBackend } from '../support.js';

before(() => useBackend());

const toyData = toyTwoClassData;

function makeTrainer(seed: number, terms: RegularizationTerm[] = [], lr = 0.1) {
  const rng = new Random(seed);
  const model = buildModel('mlp:8', { inputShape: [4, 4, 1], numClasses: 2, rng });
  return new Trainer({ model, optimizer: tf.train.sgd(lr), terms, rng });
}

/** ½‖W‖² of dense_1's kernel: its gradient is W itself, a closed form to check against. */
const halfSquaredKernel = (weight: number): RegularizationTerm => ({
  name: 'l2kernel',
  weight,
  compute: ({ model }) =>
    tf.mul(0.5, tf.sum(tf.square(model.getLayer('dense_1').getWeights()[0]))) as tf.Scalar,
});

test('a term changes the update by exactly weight × its derivative', () => {
  const data = toyData(16, 1);
  const batch = makeBatch(
    data,
    Int32Array.from({ length: 16 }, (_, i) => i),
  );
  const plain = makeTrainer(7);
  const regularized = makeTrainer(7, [halfSquaredKernel(0.3)]);
  const before = regularized.model.getLayer('dense_1').getWeights()[0].dataSync().slice();
  const result = regularized.trainStep(batch);
  plain.trainStep(batch);
  const afterPlain = plain.model.getLayer('dense_1').getWeights()[0].dataSync();
  const afterReg = regularized.model.getLayer('dense_1').getWeights()[0].dataSync();
  // SGD: W_reg − W_plain = −lr · weight · W_0
  const difference = Array.from(afterReg, (v, i) => v - afterPlain[i]);
  assertClose(
    difference,
    Array.from(before, (w) => -0.1 * 0.3 * w),
    { atol: 1e-6 },
  );
  const halfNorm = 0.5 * Array.from(before).reduce((sum, w) => sum + w * w, 0);
  assertClose(result.terms.l2kernel, halfNorm, { rtol: 1e-5 });
  assertClose(result.loss, result.task + 0.3 * halfNorm, { rtol: 1e-5 });
  disposeBatch(batch);
});

test('training steps do not leak tensors', async () => {
  const data = toyData(32, 2);
  const trainer = makeTrainer(3, [halfSquaredKernel(0.01)]);
  await assertNoLeak(() => trainer.trainEpoch(data, 8));
  await assertNoLeak(() => trainer.evaluate(data, 10));
});

test('the same seed gives the same run', async () => {
  const data = toyData(32, 4);
  const runs = [0, 1].map(async () => {
    const trainer = makeTrainer(5);
    await trainer.fit(data, { epochs: 2, batchSize: 8 });
    return trainer.history.map((m) => m.loss);
  });
  const [a, b] = await Promise.all(runs);
  assert.deepEqual(a, b);
});

test('resuming a checkpoint gives the same next epoch as an uninterrupted run', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-ckpt-'));
  try {
    const data = toyData(32, 6);
    const adam = (trainer: Trainer) => trainer;
    const full = adam(new Trainer({ ...trainerParts(9), optimizer: tf.train.adam(0.01) }));
    await full.fit(data, { epochs: 3, batchSize: 8 });
    const first = new Trainer({ ...trainerParts(9), optimizer: tf.train.adam(0.01) });
    await first.fit(data, { epochs: 2, batchSize: 8, checkpointDir: dir });
    const resumed = new Trainer({ ...trainerParts(9), optimizer: tf.train.adam(0.01) });
    await resumed.fit(data, { epochs: 3, batchSize: 8, checkpointDir: dir });
    assert.equal(resumed.history.length, 3);
    assertClose(resumed.history[2].loss, full.history[2].loss, { rtol: 1e-6 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function trainerParts(seed: number) {
  const rng = new Random(seed);
  return { model: buildModel('mlp:8', { inputShape: [4, 4, 1], numClasses: 2, rng }), rng };
}

test('a non-finite loss stops training with a clear message', () => {
  const data = toyData(8, 8);
  const exploding: RegularizationTerm = {
    name: 'bad',
    weight: 1,
    compute: () => tf.scalar(Number.NaN),
  };
  const trainer = makeTrainer(1, [exploding]);
  const batch = makeBatch(data, [0, 1, 2, 3]);
  assert.throws(
    () => trainer.trainStep(batch),
    /loss became NaN at step 0 .*bad=NaN.*lower the learning rate/,
  );
  disposeBatch(batch);
});

test('a term that draws random numbers does not change the batch order or the initial weights', async () => {
  const data = toyData(32, 10);
  const noisy: RegularizationTerm = {
    name: 'noisy',
    weight: 0,
    compute: ({ rng }) => tf.tidy(() => tf.sum(rng.normalTensor([4])) as tf.Scalar),
  };
  const plain = makeTrainer(11);
  const withNoise = makeTrainer(11, [noisy]);
  assert.deepEqual(
    plain.model.getWeights()[0].dataSync(),
    withNoise.model.getWeights()[0].dataSync(),
  );
  await plain.trainEpoch(data, 8);
  await withNoise.trainEpoch(data, 8);
  assert.deepEqual(plain.shuffleRng.state(), withNoise.shuffleRng.state());
  assert.notDeepEqual(plain.termRng.state(), withNoise.termRng.state());
  // Weight 0: the noisy term changes nothing, so the two runs agree exactly.
  assert.deepEqual(
    plain.model.getWeights()[0].dataSync(),
    withNoise.model.getWeights()[0].dataSync(),
  );
});

test('validateEvery evaluates every N epochs and after the last; the training is unchanged', async () => {
  const data = toyData(32, 2);
  const validation = toyData(16, 3);
  const every = await makeTrainer(5).fit(data, { epochs: 5, batchSize: 8, validation });
  const sparse = await makeTrainer(5).fit(data, {
    epochs: 5,
    batchSize: 8,
    validation,
    validateEvery: 2,
  });
  assert.deepEqual(
    sparse.map((m) => m.valAccuracy !== undefined),
    [false, true, false, true, true],
  );
  sparse.forEach((m, i) => {
    assert.equal(m.loss, every[i].loss, `epoch ${m.epoch}: same training`);
    if (m.valLoss !== undefined) assert.equal(m.valLoss, every[i].valLoss);
  });
  await assert.rejects(
    makeTrainer(5).fit(data, { epochs: 1, batchSize: 8, validation, validateEvery: 0 }),
    /validateEvery = 0 is not a whole number ≥ 1/,
  );
});
