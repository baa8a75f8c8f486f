import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { channelStats, rotate, standardize, thicken } from '../../src/data/transforms.js';
import { loadPeak } from '../../src/data/peak.js';
import { assertClose } from '../support.js';

/** A one-sample data set from an H×W×C array. */
function image(values: number[], shape: [number, number, number]): Dataset {
  return makeDataset({
    name: 'img',
    x: Float32Array.from(values),
    labels: Int32Array.of(0),
    sampleShape: shape,
    numClasses: 1,
  });
}

const mass = (data: Dataset): number => data.x.reduce((s, v) => s + v, 0);

test('rotate by 360° is the identity and by 0° too', () => {
  const { train } = loadPeak({ trainSize: 4, testSize: 2 });
  assertClose(rotate(train, 360).x, train.x, { atol: 1e-5 });
  assert.deepEqual(rotate(train, 0).x, train.x);
  assert.equal(rotate(train, 90).name, 'peak/train/rotate90');
});

test('rotate 90° turns a known pattern counter-clockwise, per channel, zero fill', () => {
  // 3×3, two channels: channel 0 marks the right-middle pixel, channel 1 the bottom-middle.
  const values = new Array(18).fill(0);
  values[(1 * 3 + 2) * 2 + 0] = 1;
  values[(2 * 3 + 1) * 2 + 1] = 5;
  const out = rotate(image(values, [3, 3, 2]), 90).x;
  const expected = new Array(18).fill(0);
  expected[(0 * 3 + 1) * 2 + 0] = 1; // right → top
  expected[(1 * 3 + 2) * 2 + 1] = 5; // bottom → right
  assertClose(out, expected, { atol: 1e-6 });
  const quarter = rotate(image([1, 1, 1, 1], [2, 2, 1]), 45).x;
  assert.ok(
    quarter.every((v) => v > 0 && v < 1),
    'corners partly fall outside: zero fill',
  );
});

test('thicken grows mass monotonically with the radius and keeps the peak value', () => {
  const { train } = loadPeak({ trainSize: 2, testSize: 2 });
  assert.deepEqual(thicken(train, 0).x, train.x);
  const masses = [0, 1, 1.5, 2].map((r) => mass(thicken(train, r)));
  for (let k = 1; k < masses.length; k++) assert.ok(masses[k] > masses[k - 1], `mass ${masses}`);
  assert.ok(
    mass(thicken(train, 1, 'square')) > masses[1],
    'the square neighbourhood is larger than the disc',
  );
  assert.equal(Math.max(...thicken(train, 2).x), 1);
  const dot = image([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1]);
  assert.deepEqual([...thicken(dot, 1).x], [0, 1, 0, 1, 1, 1, 0, 1, 0]);
  assert.throws(() => thicken(dot, -1), /thicken radius -1 is negative/);
});

test('standardize uses the training statistics per channel', () => {
  const train = makeDataset({
    name: 't',
    x: Float32Array.of(0, 10, 2, 10, 4, 10),
    labels: Int32Array.of(0, 0, 0),
    sampleShape: [1, 1, 2],
    numClasses: 1,
  });
  const test2 = { ...train, x: Float32Array.of(2, 11), labels: Int32Array.of(0) };
  const out = standardize({ train, test: test2 });
  const stats = channelStats(out.train);
  assertClose(stats.mean, [0, 0], { atol: 1e-6 });
  assertClose(stats.std, [1, 0], { atol: 1e-6 });
  assertClose(out.test.x, [0, 1], { atol: 1e-6 });
});
