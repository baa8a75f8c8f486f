import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset, parseTransfer, DATASET_NAMES } from '../../src/data/registry.js';
import { loadPeak } from '../../src/data/peak.js';
import { rotate, thicken } from '../../src/data/transforms.js';
import { Random } from '../../src/core/random.js';
import { tempDir, writeIdxSplit } from './fixtures.js';

test('unknown data sets and transfers list what is valid', () => {
  assert.throws(
    () => loadDataset({ dataset: 'svhn' }),
    new RegExp(`unknown data set "svhn" — use one of ${DATASET_NAMES.join(', ')}`),
  );
  assert.throws(() => parseTransfer('shear:3'), /unknown transfer "shear:3" — use rotate:DEGREES/);
  assert.throws(() => parseTransfer('rotate:'), /unknown transfer/);
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
