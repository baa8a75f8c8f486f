import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  batches,
  batchIndices,
  makeBatch,
  disposeBatch,
  makeDataset,
  subset,
} from '../../src/data/dataset.js';
import { Random } from '../../src/core/random.js';
import { assertNoLeak, useBackend } from '../support.js';

await useBackend();

const data = makeDataset({
  name: 'toy',
  x: Float32Array.from({ length: 7 * 2 }, (_, i) => i),
  labels: Int32Array.of(0, 1, 2, 0, 1, 2, 0),
  sampleShape: [2],
  numClasses: 3,
});

test('batchIndices covers every index exactly once, shuffled or not', () => {
  for (const rng of [undefined, new Random(3)]) {
    const parts = batchIndices(7, 3, rng);
    assert.deepEqual(
      parts.map((p) => p.length),
      [3, 3, 1],
    );
    assert.deepEqual([...parts.flatMap((p) => [...p])].sort(), [0, 1, 2, 3, 4, 5, 6]);
  }
  assert.notDeepEqual(batchIndices(50, 50, new Random(1))[0], batchIndices(50, 50)[0]);
  assert.throws(() => batchIndices(7, 0), /batch size 0 is not a positive integer/);
});

test('makeBatch copies the samples and one-hot encodes the labels', () => {
  const batch = makeBatch(data, [4, 0]);
  assert.deepEqual(batch.x.shape, [2, 2]);
  assert.deepEqual([...batch.x.dataSync()], [8, 9, 0, 1]);
  assert.deepEqual(batch.y.arraySync(), [
    [0, 1, 0],
    [1, 0, 0],
  ]);
  assert.deepEqual([...batch.labels], [1, 0]);
  disposeBatch(batch);
});

test('batches() disposes every batch and makeDataset rejects inconsistent data', async () => {
  await assertNoLeak(() => {
    let seen = 0;
    for (const b of batches(data, 4, new Random(0))) seen += b.labels.length;
    assert.equal(seen, 7);
  });
  assert.equal(tf.memory().numTensors, 0);
  assert.throws(() => makeDataset({ ...data, x: new Float32Array(3) }), /3 values for 7 samples/);
  assert.throws(
    () => makeDataset({ ...data, labels: Int32Array.of(0, 1, 2, 3, 0, 0, 0) }),
    /label 3 at sample 3 is outside \[0, 3\)/,
  );
  assert.equal(subset(data, 3).labels.length, 3);
});
