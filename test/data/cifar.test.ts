import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  CIFAR10_CLASSES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  loadCifar10,
} from '../../src/data/cifar.js';
import { cifarRecord, tempDir, writeBytes } from './fixtures.js';

/** Writes 5 training batches of 2 records (labels 2b, 2b+1) and a test batch of 1 record. */
function writeCifar(dir: string): void {
  CIFAR10_TRAIN_FILES.forEach((name, b) =>
    writeBytes(
      join(dir, name),
      Buffer.concat([cifarRecord(2 * b, b), cifarRecord(2 * b + 1, 100)]),
    ),
  );
  writeBytes(join(dir, CIFAR10_TEST_FILE), cifarRecord(3, 9));
}

test('CIFAR-10 records become channels-last [32, 32, 3] with labels and class names', () => {
  const dir = tempDir();
  writeCifar(dir);
  const { train, test: testSet } = loadCifar10(dir, { rawPixels: true });
  assert.deepEqual(train.sampleShape, [32, 32, 3]);
  assert.deepEqual([...train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...testSet.labels], [3]);
  assert.deepEqual(train.classNames, CIFAR10_CLASSES);
  // Image 2 (batch 2, seed 1): pixel (row 1, col 2) = p 34, channel ch = 34 + 50·ch + 1.
  const base = 2 * 3072 + (1 * 32 + 2) * 3;
  assert.deepEqual([...train.x.subarray(base, base + 3)], [35, 85, 135]);
  const scaled = loadCifar10(dir, { trainSize: 3 });
  assert.ok(Math.abs(scaled.train.x[base] - 35 / 255) < 1e-7);
});

test('the extraction folder and batches.meta.txt are understood', () => {
  const root = tempDir();
  const dir = join(root, 'cifar-10-batches-bin');
  writeCifar(dir);
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  writeFileSync(join(dir, 'batches.meta.txt'), `${names.join('\n')}\n\n`);
  assert.deepEqual(loadCifar10(root).test.classNames, names);
});

test('missing, short and mislabelled batches give clear errors', () => {
  const missing = tempDir();
  writeBytes(join(missing, 'data_batch_1.bin'), cifarRecord(0));
  assert.throws(
    () => loadCifar10(missing),
    /data_batch_2\.bin, .*test_batch\.bin missing in .* — that folder must hold data_batch_1\.bin/,
  );
  const short = tempDir();
  writeCifar(short);
  writeBytes(join(short, 'data_batch_3.bin'), cifarRecord(0).subarray(0, 3000));
  assert.throws(
    () => loadCifar10(short),
    /data_batch_3\.bin has 3000 bytes, not a multiple of the 3073-byte CIFAR-10 record/,
  );
  const labels = tempDir();
  writeCifar(labels);
  writeBytes(join(labels, CIFAR10_TEST_FILE), Buffer.concat([cifarRecord(1), cifarRecord(12)]));
  assert.throws(() => loadCifar10(labels), /test_batch\.bin record 1 has label 12 ≥ 10/);
});
