import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { makeBatch, makeDataset, disposeBatch, type Dataset } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/zoo.js';
import { Trainer } from '../../src/train/trainer.js';
import { forwardTrace } from '../../src/train/trace.js';
import { builtinRegistries } from '../../src/registry.js';
import { mutualInformationMonitor, traceBlocks } from '../../src/monitors/mutual-information.js';
import { assertClose, assertNoLeak, useBackend } from '../support.js';

before(() => useBackend());

/** n random 4×4 images, labels 0..classes−1 with unequal counts (so H(Y) is not a round number). */
function toyData(n: number, classes: number, seed: number): Dataset {
  const rng = new Random(seed);
  const x = Float32Array.from({ length: n * 16 }, () => rng.uniform());
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i % classes));
  return makeDataset({ name: 'toy', x, labels, sampleShape: [4, 4, 1], numClasses: classes });
}

/** H(Y) in bits from the label counts: the independent oracle for I(T;Y) ≤ H(Y). */
function labelEntropy(labels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  let h = 0;
  for (const count of counts.values())
    h -= (count / labels.length) * Math.log2(count / labels.length);
  return h;
}

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

function measure(
  spec: string,
  model = buildModel('mlp:12,6', {
    inputShape: [4, 4, 1],
    numClasses: 3,
    rng: new Random(3),
    activation: 'tanh',
  }),
  n = 64,
) {
  const data = toyData(n, 3, 1);
  const batch = makeBatch(data, all(n));
  const monitor = builtinRegistries().monitors.create(spec, { rng: new Random(0) });
  const values = tf.tidy(() =>
    monitor.compute({
      trace: forwardTrace(model, batch.x, false),
      batch,
      model,
      rng: new Random(0),
      step: 0,
    }),
  );
  disposeBatch(batch);
  return { values, hy: labelEntropy(data.labels), n };
}

test('every block gets I(X;T) ≤ log2 n and I(T;Y) ≤ H(Y), for both estimators', () => {
  for (const spec of ['mi:0', 'mi:kde:0', 'mi:bins=4:0', 'mi:kde:noise=0.1:0']) {
    const { values, hy, n } = measure(spec);
    const expected = ['dense_1', 'dense_2', 'dense_3'].flatMap((block) => [
      `${block}/ixt`,
      `${block}/ity`,
    ]);
    assert.deepEqual(Object.keys(values), expected, spec);
    for (const block of ['dense_1', 'dense_2', 'dense_3']) {
      const ixt = values[`${block}/ixt`];
      const ity = values[`${block}/ity`];
      assert.ok(ixt >= -1e-9 && ixt <= Math.log2(n) + 1e-9, `${spec} ${block}: I(X;T) = ${ixt}`);
      assert.ok(
        ity >= -1e-9 && ity <= hy + 1e-9,
        `${spec} ${block}: I(T;Y) = ${ity} > H(Y) = ${hy}`,
      );
      assert.ok(
        ity <= ixt + 1e-9,
        `${spec} ${block}: data processing, I(T;Y) = ${ity} ≤ I(X;T) = ${ixt}`,
      );
    }
  }
});

test('30 bins on 12 continuous units separate every sample: I(X;T) = log2 n and I(T;Y) = H(Y) exactly', () => {
  // With every sample in its own bin pattern, T is a copy of X, so both quantities hit their maxima.
  const { values, hy, n } = measure('mi:0@dense_1');
  assert.deepEqual(Object.keys(values), ['dense_1/ixt', 'dense_1/ity']);
  assertClose(values['dense_1/ixt'], Math.log2(n), { atol: 1e-9 });
  assertClose(values['dense_1/ity'], hy, { atol: 1e-9 });
});

test('2 bins on the softmax output lose information: I(X;T) < log2 n', () => {
  const { values, n } = measure('mi:bins=2:0@dense_3');
  assert.ok(values['dense_3/ixt'] < Math.log2(n) - 0.5, `I(X;T) = ${values['dense_3/ixt']}`);
});

test('blocks of a batch-norm model end at their activation layer', () => {
  const model = buildModel('mlp:8', {
    inputShape: [4, 4, 1],
    numClasses: 2,
    rng: new Random(1),
    batchNorm: true,
  });
  const names = tf.tidy(() =>
    traceBlocks(forwardTrace(model, tf.zeros([2, 4, 4, 1]), false)).map(
      (b) => `${b.name}:${b.last.name}`,
    ),
  );
  assert.deepEqual(names, ['dense_1:act_1', 'dense_2:dense_2']);
});

test('the trainer records mi/<block>/ixt per epoch, and the monitor leaks no tensors', async () => {
  const rng = new Random(2);
  const model = buildModel('mlp:8', { inputShape: [4, 4, 1], numClasses: 3, rng });
  const trainer = new Trainer({
    model,
    optimizer: tf.train.sgd(0.1),
    monitors: [mutualInformationMonitor({ estimator: 'kde' })],
    rng,
  });
  const data = toyData(40, 3, 4);
  await assertNoLeak(() => trainer.runMonitors(data, 32));
  await trainer.fit(data, { epochs: 2, batchSize: 20, validation: data, monitorSamples: 32 });
  assert.equal(trainer.history.length, 2);
  for (const metrics of trainer.history) {
    assert.ok(Number.isFinite(metrics.monitors['mi/dense_1/ixt']));
    assert.ok(
      metrics.monitors['mi/dense_2/ity'] <= labelEntropy(data.labels.subarray(0, 32)) + 1e-9,
    );
  }
});

test('bad options and unknown blocks are errors naming the fix', () => {
  assert.throws(
    () => builtinRegistries().monitors.create('mi:gauss', { rng: new Random(0) }),
    /unknown option "gauss"/,
  );
  assert.throws(
    () => builtinRegistries().monitors.create('mi:bins=1', { rng: new Random(0) }),
    /bins "1"/,
  );
  assert.throws(() => measure('mi:0@conv_9'), /no block named "conv_9".*dense_1/s);
});
