import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  loadDataset,
  parseTransfer,
  DATASET_NAMES,
  DATA_SEARCH_DIRS,
  DEBIAN_FASHION_MNIST_DIR,
} from '../../src/data/registry.js';
import type { TestSet } from '../../src/data/raw.js';
import { loadPeak } from '../../src/data/peak.js';
import { rotate, thicken } from '../../src/data/transforms.js';
import { Random } from '../../src/core/random.js';
import { tempDir, writeIdxSplit } from './fixtures.js';

test('unknown data sets and transfers list what is valid', () => {
  assert.throws(
    () => loadDataset({ dataset: 'svhn' }),
    new RegExp(`unknown data set "svhn" — use one of ${DATASET_NAMES.join(', ')}`),
  );
  // transfers are specs of the one grammar: unknown names, options and bad values are errors
  assert.throws(
    () => parseTransfer('shear:3'),
    /unknown transfer "shear" — choose one of: rotate, thicken/,
  );
  assert.throws(() => parseTransfer('rotate:'), /empty part .* write rotate:degrees/);
  assert.throws(() => parseTransfer('rotate'), /"rotate" needs degrees/);
  assert.throws(() => parseTransfer('rotate:45:x'), /unknown option "x" in "rotate:45:x"/);
  assert.throws(
    () => parseTransfer('thicken:-1'),
    /radius "-1" in "thicken:-1" is not a number ≥ 0/,
  );
  assert.throws(() => parseTransfer('rotate:45,shear:1'), /unknown transfer "shear"/);
  assert.throws(
    () => loadDataset({ dataset: 'folder' }),
    /needs a data directory — pass --data-dir/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'fashion-mnist', dataDir: tempDir() }),
    /fashion-mnist: train-images-idx3-ubyte .* is missing .*zalandoresearch/,
  );
});

test('peak through the registry: seeded, sized, with a transfer variant', () => {
  const spec = { dataset: 'peak', seed: 4, trainSize: 6, testSize: 2 };
  const plain = loadDataset(spec);
  assert.deepEqual(loadDataset(spec).train.x, plain.train.x);
  assert.notDeepEqual(loadDataset({ ...spec, seed: 5 }).train.x, plain.train.x);
  assert.deepEqual(
    loadDataset({ ...spec, rng: new Random(4) }).train.x,
    plain.train.x,
    'seed n ≡ rng Random(n)',
  );
  const variant = loadDataset({ ...spec, transfer: 'rotate:90,thicken:1' });
  assert.deepEqual(variant.train.x, thicken(rotate(plain.train, 90), 1).x);
  assert.deepEqual(variant.test.x, thicken(rotate(plain.test, 90), 1).x);
  assert.equal(plain.train.labels.length, 6);
  assert.ok(loadPeak().train.labels.length === 100);
});

test('mnist and IDX folders through the registry', () => {
  const small = loadDataset({ dataset: 'mnist', trainSize: 10, testSize: 5, rawPixels: true });
  assert.deepEqual([...small.train.labels.subarray(0, 3)], [5, 0, 4]);
  assert.equal(small.test.labels.length, 5);
  const dir = tempDir();
  writeIdxSplit(dir, 'train', 6, { gzip: true });
  writeIdxSplit(dir, 't10k', 2, { gzip: true });
  const kmnist = loadDataset({ dataset: 'kmnist', dataDir: dir });
  assert.equal(kmnist.train.name, 'kmnist/train');
  assert.equal(kmnist.train.classNames?.[0], 'o');
  assert.equal(loadDataset({ dataset: 'mnist', dataDir: dir }).train.labels.length, 6);
});

test('fashion-mnist without --data-dir: the first folder of the search list that holds the files', () => {
  assert.deepEqual(DATA_SEARCH_DIRS['fashion-mnist'], [
    'data/fashion-mnist',
    DEBIAN_FASHION_MNIST_DIR,
  ]);
  assert.equal(DEBIAN_FASHION_MNIST_DIR, '/usr/share/datasets/fashion-mnist');
  const absent = join(tempDir(), 'nothing-here');
  const empty = tempDir();
  const installed = tempDir(); // stands in for the Debian folder
  writeIdxSplit(installed, 'train', 6, { gzip: true });
  writeIdxSplit(installed, 't10k', 2, { gzip: true });
  const split = loadDataset({ dataset: 'fashion-mnist', searchDirs: [absent, empty, installed] });
  assert.equal(split.train.name, 'fashion-mnist/train');
  assert.equal(split.train.labels.length, 6);
  assert.equal(split.train.classNames?.[9], 'Ankle boot');
  // A given --data-dir is used alone: the search list is not consulted.
  assert.throws(
    () => loadDataset({ dataset: 'fashion-mnist', dataDir: empty, searchDirs: [installed] }),
    /is missing in/,
  );
});

test('fashion-mnist not found: the error lists every folder searched and how to install the set', () => {
  const first = join(tempDir(), 'data', 'fashion-mnist');
  const second = tempDir();
  assert.throws(
    () => loadDataset({ dataset: 'fashion-mnist', searchDirs: [first, second] }),
    (error: Error) => {
      assert.equal(error.name, 'ReglabError');
      assert.match(error.message, /fashion-mnist: the IDX files were not found; looked in /);
      assert.ok(error.message.includes(`${first}, ${second}`), error.message);
      assert.match(error.message, /apt-get install dataset-fashion-mnist/);
      assert.match(error.message, /--data-dir/);
      return true;
    },
  );
  // A folder holding only part of the set is an error, not passed over for a later copy.
  const partial = tempDir();
  writeIdxSplit(partial, 'train', 4);
  const complete = tempDir();
  writeIdxSplit(complete, 'train', 4);
  writeIdxSplit(complete, 't10k', 2);
  assert.throws(
    () => loadDataset({ dataset: 'fashion-mnist', searchDirs: [partial, complete] }),
    /holds only part of the data set \(missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'kmnist', searchDirs: [second] }),
    /kmnist: the IDX files were not found; looked in .*rois-codh/,
  );
});

test('test set "test+rest": the test images, then the training images the subset left out', () => {
  const dir = tempDir();
  // Fixture labels are i mod 10, so with < 10 images a label names its image.
  writeIdxSplit(dir, 'train', 8);
  writeIdxSplit(dir, 't10k', 3);
  const base = { dataset: 'kmnist', dataDir: dir, rawPixels: true } as const;
  const full = loadDataset(base);
  const row = (data: typeof full.test, i: number) =>
    Array.from(data.x.subarray(i * 6, (i + 1) * 6));
  const first = loadDataset({ ...base, trainSize: 3, testSet: 'test+rest' });
  assert.deepEqual([...first.train.labels], [0, 1, 2]);
  assert.equal(first.test.name, 'kmnist/test+rest');
  assert.deepEqual([...first.test.labels], [0, 1, 2, 3, 4, 5, 6, 7]);
  // Rows 0–2: the test images; rows 3–7: training images 3–7, pixels included.
  for (let i = 0; i < 3; i++) assert.deepEqual(row(first.test, i), row(full.test, i));
  for (let i = 3; i < 8; i++) assert.deepEqual(row(first.test, i), row(full.train, i));
  // The default leaves the test set alone, and the training subset is the same either way.
  const plain = loadDataset({ ...base, trainSize: 3 });
  assert.equal(plain.test.labels.length, 3);
  assert.deepEqual(plain.train.x, first.train.x);
  // Random subsets: train and rest are disjoint and together make up the training set.
  const random = loadDataset({
    ...base,
    trainSize: 5,
    sampling: 'random',
    seed: 3,
    testSet: 'test+rest',
  });
  const trainIds = [...random.train.labels];
  const restIds = [...random.test.labels.subarray(3)];
  assert.deepEqual([...trainIds, ...restIds].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.notDeepEqual(trainIds, [0, 1, 2, 3, 4], 'a random subset, not the first five');
  for (let k = 0; k < 3; k++)
    assert.deepEqual(row(random.test, 3 + k), row(full.train, restIds[k]));
  // --test-size picks from the combined set.
  assert.equal(
    loadDataset({ ...base, trainSize: 3, testSize: 5, testSet: 'test+rest' }).test.labels.length,
    5,
  );
});

test('test set: bad names and impossible combinations are named errors', () => {
  const dir = tempDir();
  writeIdxSplit(dir, 'train', 8);
  writeIdxSplit(dir, 't10k', 3);
  assert.throws(
    () => loadDataset({ dataset: 'kmnist', dataDir: dir, testSet: 'test+rest' }),
    /test set "test\+rest" needs a training subset smaller than the 8 training images \(got all of them\) — pass a --train-size below 8/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'kmnist', dataDir: dir, trainSize: 8, testSet: 'test+rest' }),
    /got --train-size 8/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'kmnist', dataDir: dir, testSet: 'rest' as TestSet }),
    /unknown test set "rest" — use one of test, test\+rest/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'peak', testSet: 'test+rest' }),
    /the peak set has no test set "test\+rest"/,
  );
});
