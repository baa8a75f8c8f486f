import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { Matrix } from 'ml-matrix';
import { Random } from '../../src/core/random.js';
import { loadDataset } from '../../src/data/registry.js';
import { buildModel } from '../../src/models/zoo.js';
import { reconstructAction } from '../../src/cli/commands/reconstruct.js';
import { svdAction, type SvdReport } from '../../src/cli/commands/svd.js';
import { assertClose, useBackend } from '../support.js';
import { fileSystemHandler } from '../../src/models/io.js';

let root: string;
let runDir: string;
const config = {
  dataset: 'peak',
  trainSize: 4,
  testSize: 4,
  rawPixels: false,
  seed: 0,
  model: 'linear',
  epochs: 1,
  batchSize: 4,
  optimizer: 'adam',
  lr: 1e-3,
};

/**
 * A finished-looking run folder: a linear 784→2 model whose kernel is W = [2·q0, 0.5·q1] with
 * q0, q1 orthonormal in the span of the first two training images, so the input-space singular
 * vectors are q0 (σ = 2) and q1 (σ = 0.5), both with projection 1 onto the training span.
 */
before(async () => {
  await useBackend();
  root = await mkdtemp(path.join(tmpdir(), 'reglab-commands-'));
  runDir = path.join(root, 'runs', 'toy');
  const train = loadDataset(config).train;
  const x0 = Matrix.columnVector(Array.from(train.x.subarray(0, 784)));
  const x1 = Matrix.columnVector(Array.from(train.x.subarray(784, 1568)));
  const q0 = x0.div(x0.norm());
  // (ml-matrix arithmetic is in place: clone before scaling.)
  const residual = x1.sub(q0.clone().mul(q0.transpose().mmul(x1).get(0, 0)));
  const q1 = residual.div(residual.norm());
  const w = new Matrix(784, 2);
  w.setColumn(0, q0.mul(2).getColumn(0));
  w.setColumn(1, q1.mul(0.5).getColumn(0));
  const model = buildModel('linear', {
    inputShape: [28, 28, 1],
    numClasses: 2,
    rng: new Random(1),
  });
  model.getLayer('dense_1').setWeights([tf.tensor2d(w.to2DArray()), tf.zeros([2])]);
  await model.save(fileSystemHandler(runDir));
  await writeFile(path.join(runDir, 'config.json'), JSON.stringify(config));
  model.dispose();
});

after(() => rm(root, { recursive: true, force: true }));

test('reglab svd: spectra, projections onto the training span, svd.json and the singular-vector grid', async () => {
  const out = path.join(root, 'svd');
  const lines: string[] = [];
  const report = await svdAction({ run: runDir, out }, (line) => lines.push(line));
  assert.equal(report.layers.length, 1);
  assertClose(report.layers[0].singularValues, [2, 0.5], { atol: 1e-5 });
  assert.deepEqual(report.layers[0].matrixShape, [784, 2]);
  const first = report.firstLayer;
  assert.equal(first.trainingSamples, 4);
  assert.equal(first.spanRank, 4);
  assert.deepEqual(
    first.vectors.map((v) => [v.tile, v.rank]),
    [
      [0, 0],
      [1, 1],
    ],
  );
  assertClose(
    first.vectors.map((v) => v.projection!),
    [1, 1],
    { atol: 1e-5 },
  );
  const saved = JSON.parse(await readFile(path.join(out, 'svd.json'), 'utf8')) as SvdReport;
  assert.deepEqual(saved, JSON.parse(JSON.stringify(report)));
  const png = PNG.sync.read(await readFile(path.join(out, 'singular-vectors.png')));
  // 2 tiles of 28×28 in 2 columns (ceil √2), padding 1, upscale 2.
  assert.deepEqual([png.width, png.height], [(2 * 29 + 1) * 2, (29 + 1) * 2]);
  assert.ok(
    lines.some((line) => /dense_1\s+784×2\s+2\.0000\s+0\.5000\s+0/.test(line)),
    lines.join('\n'),
  );
  assert.ok(lines.some((line) => /span of 4 training inputs \(rank 4\)/.test(line)));
});

test('reglab reconstruct: test inputs beside reconstructions, with a stand-in and with racecar', async () => {
  const out = path.join(root, 'reconstruct');
  const lines: string[] = [];
  const result = await reconstructAction(
    { run: runDir, out, count: 3, upscale: 1 },
    (_model, x) => tf.neg(x),
    (line) => lines.push(line),
  );
  assert.equal(result.count, 3);
  assert.match(lines[0], /3 test images of peak/);
  const png = PNG.sync.read(await readFile(result.file));
  assert.deepEqual([png.width, png.height], [6 * 29 + 1, 28 + 2]);
  // The stand-in negates, so the reconstruction tile (x from 30) is the input tile (x from 1) inverted.
  for (const [x, y] of [
    [10, 10],
    [20, 5],
    [3, 25],
  ]) {
    const input = png.data[((1 + y) * png.width + 1 + x) * 4];
    const reconstruction = png.data[((1 + y) * png.width + 30 + x) * 4];
    assert.ok(Math.abs(input + reconstruction - 255) <= 1);
  }
  // The default reverse pass is racecar's reconstruct; it must run on the saved model.
  const racecar = await reconstructAction(
    { run: runDir, out: path.join(root, 'racecar'), count: 2 },
    undefined,
    () => {},
  );
  const decoded = PNG.sync.read(await readFile(racecar.file));
  assert.deepEqual([decoded.width, decoded.height], [(4 * 29 + 1) * 2, 30 * 2]);
});

test('a missing or incomplete run folder says what a run folder must contain', async () => {
  await assert.rejects(
    svdAction({ run: path.join(root, 'nope'), out: root }),
    /does not exist — a run folder is what `reglab train --out DIR` writes: config.json/,
  );
  const incomplete = path.join(root, 'incomplete');
  await buildModel('linear', { inputShape: [28, 28, 1], numClasses: 2, rng: new Random(1) }).save(
    fileSystemHandler(incomplete),
  );
  await unlink(path.join(incomplete, 'weights.bin'));
  await assert.rejects(
    reconstructAction({ run: incomplete, out: root }),
    /has no config.json, weights.bin \(is the run finished\?\)/,
  );
  await assert.rejects(
    reconstructAction({ run: runDir, out: root, split: 'valid' as 'test' }),
    /--split valid/,
  );
});
