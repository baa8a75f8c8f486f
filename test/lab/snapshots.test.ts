import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { Random } from '../../src/core/random.js';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/zoo.js';
import { Trainer } from '../../src/train/trainer.js';
import {
  reconstructionLayout,
  reconstructionSnapshots,
  snapshotFile,
} from '../../src/lab/snapshots.js';
import { assertNoLeak, useBackend } from '../support.js';

before(() => useBackend());

function toyData(n: number): Dataset {
  const rng = new Random(3);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const x = Float32Array.from({ length: n * 16 }, () => rng.uniform());
  return makeDataset({ name: 'toy', x, labels, sampleShape: [4, 4, 1], numClasses: 2 });
}

/** A stand-in reverse pass: the negated input (so every reconstruction tile is its input inverted). */
const negate = (_model: unknown, x: tf.Tensor) => tf.neg(x);

test('snapshots every N epochs: the right files, inputs beside (inverted) reconstructions', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-snapshots-'));
  try {
    const data = toyData(8);
    const rng = new Random(1);
    const model = buildModel('linear', { inputShape: [4, 4, 1], numClasses: 2, rng });
    const callbacks = reconstructionSnapshots({
      model,
      every: 2,
      dir,
      samples: data,
      count: 3,
      reconstruct: negate,
      upscale: 1,
      pairsPerRow: 4,
    });
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.1), rng, callbacks });
    await trainer.fit(data, { epochs: 5, batchSize: 4 });
    assert.deepEqual((await readdir(dir)).sort(), [
      'reconstructions-epoch-2.png',
      'reconstructions-epoch-4.png',
    ]);
    const png = PNG.sync.read(await readFile(snapshotFile(dir, 4)));
    // 3 pairs in one row: 6 tiles of 4×4, padding 1.
    assert.deepEqual([png.width, png.height], [6 * 5 + 1, 4 + 2]);
    // Pair 0: input tile at x = 1, its reconstruction at x = 6; min-max scaling makes −x the inverse.
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        const input = png.data[((1 + y) * png.width + 1 + x) * 4];
        const reconstruction = png.data[((1 + y) * png.width + 6 + x) * 4];
        assert.ok(
          Math.abs(input + reconstruction - 255) <= 1,
          `pixel (${x}, ${y}): ${input} + ${reconstruction}`,
        );
      }
    model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('snapshots leak no tensors and reject a reconstruction of the wrong shape', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-snapshots-'));
  try {
    const data = toyData(4);
    const model = buildModel('mlp:5', { inputShape: [4, 4, 1], numClasses: 2, rng: new Random(2) });
    const callbacks = reconstructionSnapshots({
      model,
      every: 1,
      dir,
      samples: data,
      reconstruct: (m, x) => tf.mul(tf.reshape(tf.sum(m.predict(x) as tf.Tensor), [1, 1, 1, 1]), x),
    });
    let epoch = 0;
    await assertNoLeak(() =>
      callbacks.onEpochEnd({
        epoch: ++epoch,
        loss: 0,
        task: 0,
        accuracy: 0,
        terms: {},
        monitors: {},
        seconds: 0,
      }),
    );
    const before = tf.memory().numTensors;
    await assert.rejects(
      reconstructionLayout(model, data, (_m, x) => tf.slice(x, 0, 1)),
      /shaped like its input/,
    );
    assert.equal(tf.memory().numTensors, before);
    assert.throws(
      () => reconstructionSnapshots({ model, every: 0, dir, samples: data, reconstruct: negate }),
      /not a positive integer/,
    );
    model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
