import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageFolder } from '../../src/data/folder.js';
import { Random } from '../../src/core/random.js';
import { tempDir, writePng } from './fixtures.js';

/** Writes `count` grayscale 4×3 PNGs of value `value` into `dir`. */
function writeGray(dir: string, count: number, value: number): void {
  for (let i = 0; i < count; i++)
    writePng(join(dir, `img${i}.png`), 4, 3, () => [value, value, value], 0);
}

test('DIR/train + DIR/test: classes sorted, grayscale detected, values scaled', () => {
  const root = tempDir();
  writeGray(join(root, 'train', 'zebra'), 2, 255);
  writeGray(join(root, 'train', 'apple'), 3, 51);
  writeGray(join(root, 'test', 'zebra'), 1, 255);
  writeFileSync(join(root, 'train', 'apple', 'notes.txt'), 'ignored');
  const { train, test: testSet } = loadImageFolder(root, { name: 'fruit' });
  assert.deepEqual(train.classNames, ['apple', 'zebra']);
  assert.deepEqual([...train.labels], [0, 0, 0, 1, 1]);
  assert.deepEqual([...testSet.labels], [1]);
  assert.deepEqual(train.sampleShape, [3, 4, 1]);
  assert.ok(Math.abs(train.x[0] - 0.2) < 1e-6);
  assert.equal(testSet.x[0], 1);
  assert.equal(train.name, 'fruit/train');
});

test('flat DIR/<class>: RGB kept, a seeded stratified fraction held out', () => {
  const root = tempDir();
  for (const [cls, color] of [
    ['red', [200, 0, 0]],
    ['blue', [0, 0, 100]],
  ] as const) {
    for (let i = 0; i < 5; i++) writePng(join(root, cls, `${i}.png`), 2, 2, () => [...color]);
  }
  const load = (seed: number) => loadImageFolder(root, { rng: new Random(seed), rawPixels: true });
  const { train, test: testSet } = load(1);
  assert.deepEqual(train.sampleShape, [2, 2, 3]);
  assert.deepEqual([...testSet.labels].sort(), [0, 1], 'one of five per class held out at 0.2');
  assert.equal(train.labels.length, 8);
  assert.deepEqual([...train.x.subarray(0, 3)], [0, 0, 100], 'blue sorts first');
  assert.deepEqual(load(1).test.x, testSet.x);
  const gray = loadImageFolder(root, { channels: 1, rawPixels: true });
  assert.equal(gray.train.x[0], Math.round(0.114 * 100));
});

test('bad folders give errors naming the problem', () => {
  const empty = tempDir();
  assert.throws(
    () => loadImageFolder(empty),
    /has no class sub-folders — put the images in one sub-folder per class/,
  );
  mkdirSync(join(empty, 'cat'));
  assert.throws(() => loadImageFolder(empty), /no \.png files in the class folders of .* \(cat\)/);
  assert.throws(() => loadImageFolder(join(empty, 'nope')), /image folder .*nope does not exist/);
  const corrupt = tempDir();
  writeGray(join(corrupt, 'a'), 2, 9);
  writeFileSync(join(corrupt, 'a', 'img1.png'), 'not a png');
  assert.throws(() => loadImageFolder(corrupt), /img1\.png is not a readable PNG/);
  const sizes = tempDir();
  writeGray(join(sizes, 'a'), 2, 9);
  writePng(join(sizes, 'a', 'img1.png'), 5, 5, () => [0, 0, 0]);
  assert.throws(
    () => loadImageFolder(sizes),
    /img1\.png is 5×5 but the first image is 4×3 — all images .* same size/,
  );
});
