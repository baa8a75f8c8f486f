import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPeak, peakTemplate, PEAK_CENTERS } from '../../src/data/peak.js';
import { Random } from '../../src/core/random.js';

/** Mean of image `i` over the 8×8 box starting at (row, col). */
function boxMean(x: Float32Array, i: number, row: number, col: number): number {
  let sum = 0;
  for (let r = row; r < row + 8; r++)
    for (let c = col; c < col + 8; c++) sum += x[i * 784 + r * 28 + c];
  return sum / 64;
}

test('same seed → identical images, different seed → different', () => {
  const a = loadPeak({ rng: new Random(5) });
  const b = loadPeak({ rng: new Random(5) });
  const c = loadPeak({ rng: new Random(6) });
  assert.deepEqual(a.train.x, b.train.x);
  assert.deepEqual(a.test.x, b.test.x);
  assert.notDeepEqual(a.train.x, c.train.x);
  assert.equal(a.train.labels.length, 100);
  assert.equal(a.test.labels.length, 10);
  assert.deepEqual([...a.train.labels.subarray(0, 4)], [0, 1, 0, 1]);
  assert.deepEqual(
    loadPeak({ rng: new Random(5), trainSize: 4 }).test.x,
    a.test.x,
    'test set independent of train size',
  );
});

test('the disc sits in its class corner and the values are in [0, 1] (0–255 raw)', () => {
  const { train } = loadPeak({ rng: new Random(1) });
  const corners = [
    [4, 3],
    [18, 18],
  ];
  for (let i = 0; i < 100; i++) {
    const own = corners[train.labels[i]];
    const other = corners[1 - train.labels[i]];
    assert.ok(boxMean(train.x, i, own[0], own[1]) > 0.3, `image ${i} has its disc`);
    assert.equal(
      boxMean(train.x, i, other[0], other[1]),
      0,
      `image ${i}: the other corner is empty`,
    );
  }
  const strokeMass = Array.from({ length: 100 }, (_, i) =>
    train.x.subarray(i * 784, (i + 1) * 784).reduce((s, v) => s + v, 0),
  );
  assert.ok(Math.min(...strokeMass) > 30, 'disc + stroke have mass');
  assert.ok(train.x.every((v) => v >= 0 && v <= 1));
  const raw = loadPeak({ rng: new Random(1), rawPixels: true });
  assert.equal(Math.max(...raw.train.x), 255);
});

test('peakTemplate is the disc alone at the nominal centre', () => {
  for (const cls of [0, 1]) {
    const t = peakTemplate(cls);
    const [r, c] = PEAK_CENTERS[cls].map(Math.floor);
    assert.equal(t[r * 28 + c], 1);
    const mass = t.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(mass - Math.PI * 9) < 2, `disc area ≈ π·3² (got ${mass})`);
  }
  assert.equal(peakTemplate(1, true)[21 * 28 + 21], 255);
  assert.throws(() => peakTemplate(2), /peak has classes 0 and 1, not 2/);
});
