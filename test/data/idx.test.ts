import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseIdx, readIdx } from '../../src/data/idx.js';
import { loadIdxFolder, IDX_FILES } from '../../src/data/idx-folder.js';
import { Random } from '../../src/core/random.js';
import { idxBytes, tempDir, writeBytes, writeIdxSplit } from './fixtures.js';

test('parses dims big-endian and keeps the bytes, plain and gzip', () => {
  const dir = tempDir();
  const bytes = idxBytes(
    [2, 3, 300],
    Array.from({ length: 1800 }, (_, i) => i % 256),
  );
  for (const gzip of [false, true]) {
    const parsed = readIdx(writeBytes(join(dir, `a${gzip ? '.gz' : ''}`), bytes, gzip));
    assert.deepEqual(parsed.dims, [2, 3, 300]);
    assert.equal(parsed.data.length, 1800);
    assert.equal(parsed.data[257], 1);
  }
});

test('bad files give errors that name the problem', () => {
  const good = idxBytes([4, 2, 2], new Array(16).fill(7));
  const wrongMagic = Buffer.from(good);
  wrongMagic[2] = 0x0d;
  assert.throws(
    () => parseIdx(wrongMagic, 'x.idx'),
    /x\.idx has magic 0x00000d03, not an unsigned-byte IDX/,
  );
  assert.throws(
    () => parseIdx(good.subarray(0, good.length - 3), 'x.idx'),
    /13 data bytes but its header \[4,2,2\] needs 16 — the file is truncated/,
  );
  assert.throws(() => parseIdx(good.subarray(0, 9), 'x.idx'), /ends inside its header/);
  assert.throws(() => parseIdx(good.subarray(0, 2), 'x.idx'), /shorter than an IDX header/);
  assert.throws(() => parseIdx(Buffer.concat([good, Buffer.alloc(1)]), 'x.idx'), /trailing bytes/);
  const dir = tempDir();
  const gz = writeBytes(join(dir, 'broken.gz'), good, true);
  writeBytes(gz, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
  assert.throws(() => readIdx(gz), /looks gzip'd but does not decompress/);
});

test('loadIdxFolder reads plain and .gz files, scales pixels and names its splits', () => {
  const dir = tempDir();
  writeIdxSplit(dir, 'train', 12, { gzip: true });
  writeIdxSplit(dir, 't10k', 4);
  const split = loadIdxFolder(dir, { name: 'toy' });
  assert.equal(split.train.name, 'toy/train');
  assert.deepEqual(split.train.sampleShape, [3, 2, 1]);
  assert.equal(split.train.labels.length, 12);
  assert.equal(split.test.labels.length, 4);
  assert.ok(Math.abs(split.train.x[7] - 10 / 255) < 1e-7, 'image 1 pixel 1 is 10/255');
  const raw = loadIdxFolder(dir, { name: 'toy', rawPixels: true });
  assert.equal(raw.train.x[7], 10);
  assert.equal(Math.max(...raw.train.x), 116);
});

test('subsets: first N by default, seeded random, stratified balanced', () => {
  const dir = tempDir();
  writeIdxSplit(dir, 'train', 40, { classes: 4 });
  writeIdxSplit(dir, 't10k', 8, { classes: 4 });
  const first = loadIdxFolder(dir, { name: 'toy', trainSize: 5, testSize: 2 });
  assert.deepEqual([...first.train.labels], [0, 1, 2, 3, 0]);
  assert.equal(first.train.name, 'toy/train[5]');
  const random = (seed: number) =>
    loadIdxFolder(dir, { name: 'toy', trainSize: 10, sampling: 'random', rng: new Random(seed) })
      .train;
  assert.deepEqual(random(3).x, random(3).x);
  assert.notDeepEqual(random(3).x, random(4).x);
  const strat = loadIdxFolder(dir, {
    name: 'toy',
    trainSize: 8,
    sampling: 'stratified',
    rng: new Random(1),
  }).train;
  const counts = [0, 0, 0, 0];
  strat.labels.forEach((l) => counts[l]++);
  assert.deepEqual(counts, [2, 2, 2, 2]);
  assert.throws(
    () => loadIdxFolder(dir, { name: 'toy', trainSize: 0 }),
    /subset size 0 is not a positive integer/,
  );
});

test('missing files and count mismatches are named', () => {
  const dir = tempDir();
  writeIdxSplit(dir, 'train', 3);
  assert.throws(
    () => loadIdxFolder(dir, { name: 'toy', downloadHint: 'get it somewhere' }),
    (error: Error) => {
      assert.match(
        error.message,
        /toy: t10k-images-idx3-ubyte \(or t10k-images-idx3-ubyte\.gz\) is missing in /,
      );
      assert.ok(error.message.includes(dir));
      for (const name of Object.values(IDX_FILES)) assert.ok(error.message.includes(name), name);
      assert.match(error.message, /get it somewhere/);
      return true;
    },
  );
  const bad = tempDir();
  writeIdxSplit(bad, 'train', 3);
  writeIdxSplit(bad, 't10k', 2);
  writeBytes(join(bad, 't10k-labels-idx1-ubyte'), idxBytes([3], [0, 1, 2]));
  assert.throws(
    () => loadIdxFolder(bad, { name: 'toy' }),
    /has 2 images but .*t10k-labels-idx1-ubyte has 3 labels/,
  );
  const tooMany = tempDir();
  writeIdxSplit(tooMany, 'train', 12, { classes: 12 });
  writeIdxSplit(tooMany, 't10k', 3);
  assert.throws(
    () => loadIdxFolder(tooMany, { name: 'toy' }),
    /label 10 at sample 10 is outside \[0, 10\)/,
  );
});
