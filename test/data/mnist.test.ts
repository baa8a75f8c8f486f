import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../src/data/mnist.js';
import { Random } from '../../src/core/random.js';

/** Min and max without spreading 47 M values onto the stack. */
function range(x: Float32Array): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

test('full MNIST: shapes, labels, pixel range and the known first labels', () => {
  const { train, test: testSet } = loadMnist();
  assert.equal(train.labels.length, 60000);
  assert.equal(testSet.labels.length, 10000);
  assert.deepEqual(train.sampleShape, [28, 28, 1]);
  assert.equal(train.x.length, 60000 * 784);
  assert.deepEqual([...train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assert.equal(testSet.labels[0], 7);
  assert.ok(train.labels.every((l) => l >= 0 && l < 10));
  assert.deepEqual(range(testSet.x), [0, 1]);
});

test('subsets convert only what they keep; raw pixels stay 0–255', () => {
  const small = loadMnist({ trainSize: 100, testSize: 20, rawPixels: true });
  assert.equal(small.train.labels.length, 100);
  assert.equal(small.train.x.length, 100 * 28 * 28, 'only the kept images are converted');
  assert.equal(small.test.labels.length, 20);
  assert.equal(small.train.name, 'mnist/train[100]');
  assert.deepEqual(range(small.train.x), [0, 255]);
  const balanced = loadMnist({
    trainSize: 50,
    testSize: 10,
    sampling: 'stratified',
    rng: new Random(7),
  });
  const counts = new Array(10).fill(0);
  balanced.train.labels.forEach((l) => counts[l]++);
  assert.deepEqual(counts, new Array(10).fill(5));
});
