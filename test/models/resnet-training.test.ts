/**
 * Every method on a functional ResNet (the tiny `resnet:8:width=0.25` on 8×8 images), through
 * the API and through `reglab train`; and a user's saved functional model.json trained,
 * reconstructed, analysed and reported by the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../src/core/random.js';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/zoo.js';
import { fileSystemHandler, loadModel } from '../../src/models/io.js';
import { Trainer } from '../../src/train/trainer.js';
import { builtinRegistries } from '../../src/registry.js';
import { createLangevinOptimizer, tallView } from '../../src/methods/langevin/index.js';
import { trainAction } from '../../src/cli/commands/train.js';
import { reconstructAction } from '../../src/cli/commands/reconstruct.js';
import { svdAction } from '../../src/cli/commands/svd.js';
import { reportAction } from '../../src/cli/commands/report.js';
import { writePng } from '../data/fixtures.js';
import { useBackend } from '../support.js';

const TINY = 'resnet:8:width=0.25';
const TERMS = ['racecar:1e-4', 'per:1e-3', 'dr:1e-3', 'ort:srip:1e-2', 'ort:frobenius:1e-2'];
const LANGEVIN = 'cola-ud:lr=0.05:momentum=0.9:tau=0';

let root: string;
let folder: string;

/** 8×8 grey images of three classes: a bright quadrant (top-left, top-right, bottom). */
function pixel(label: number, x: number, y: number, noise: number): number {
  const on = label === 0 ? x < 4 && y < 4 : label === 1 ? x >= 4 && y < 4 : y >= 4;
  return Math.round(255 * Math.min(1, Math.max(0, (on ? 0.8 : 0.1) + noise)));
}

function images(n: number, seed: number): Dataset {
  const rng = new Random(seed);
  const x = new Float32Array(n * 64);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 64; p++)
      x[i * 64 + p] = pixel(labels[i], p % 8, Math.floor(p / 8), 0.1 * rng.normal()) / 255;
  return makeDataset({ name: 'quadrants', x, labels, sampleShape: [8, 8, 1], numClasses: 3 });
}

before(async () => {
  await useBackend();
  root = await mkdtemp(path.join(tmpdir(), 'reglab-resnet-'));
  folder = path.join(root, 'quadrants');
  const rng = new Random(5);
  for (const [split, count] of [
    ['train', 4],
    ['test', 2],
  ] as const)
    for (let label = 0; label < 3; label++)
      for (let k = 0; k < count; k++) {
        const value = (x: number, y: number) => pixel(label, x, y, 0.1 * rng.normal());
        writePng(
          path.join(folder, split, `c${label}`, `${k}.png`),
          8,
          8,
          (x, y) => [value(x, y), value(x, y), value(x, y)],
          0,
        );
      }
});

after(() => rm(root, { recursive: true, force: true }));

const kernels = (model: tfl.LayersModel) =>
  model.trainableWeights.filter((w) => /kernel/.test(w.name));

/** max |XᵀX − I| of a kernel's tall matrix view. */
function orthogonality(kernel: tf.Tensor): number {
  return tf.tidy(() => {
    const x = tallView(kernel);
    const gram = tf.matMul(x, x, true, false);
    return tf.max(tf.abs(tf.sub(gram, tf.eye(gram.shape[0])))).dataSync()[0];
  });
}

/** Asserts the run trained every kernel but the first onto MᵀM = I and left the first free. */
function assertAllButFirstOrthogonal(model: tfl.LayersModel, label: string): void {
  const [first, ...rest] = kernels(model);
  assert.match(first.name, /^stem_conv\//, label);
  assert.ok(orthogonality(first.read()) > 0.1, `${label}: the stem is not constrained`);
  for (const kernel of rest)
    assert.ok(orthogonality(kernel.read()) < 1e-4, `${label}: ${kernel.name} orthogonal`);
}

test('API: a functional ResNet trains with racecar, PER, DR, SRIP, Frobenius and orthogonal Langevin', async () => {
  const data = images(12, 1);
  const { terms } = builtinRegistries();
  for (const spec of [...TERMS, LANGEVIN]) {
    const rng = new Random(7);
    const model = buildModel(TINY, { inputShape: [8, 8, 1], numClasses: 3, rng });
    const langevin = spec === LANGEVIN;
    const before = kernels(model).map((k) => k.read().clone());
    const trainer = new Trainer({
      model,
      optimizer: langevin
        ? createLangevinOptimizer(LANGEVIN, 'orthogonal:all-but-first')
        : tf.train.adam(1e-2),
      terms: langevin ? [] : [terms.create(spec, { rng })],
      rng,
    });
    const result = await trainer.trainEpoch(data, 6);
    const numTensors = tf.memory().numTensors; // after the optimizer's state exists
    assert.ok(Number.isFinite(result.loss), `${spec}: loss ${result.loss}`);
    if (!langevin) {
      const [name] = Object.keys(result.terms);
      assert.ok(result.terms[name] > 0, `${spec}: term ${name} = ${result.terms[name]}`);
    } else assertAllButFirstOrthogonal(model, spec);
    const moved = kernels(model).map((k, i) =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(k.read(), before[i]))).dataSync()[0]),
    );
    assert.ok(
      moved.every((m) => m > 0),
      `${spec}: every kernel moved (${moved.map((m) => m.toExponential(1))})`,
    );
    await trainer.trainEpoch(data, 6);
    assert.equal(tf.memory().numTensors, numTensors, `${spec}: no tensor leak per epoch`);
    tf.dispose(before);
    trainer.optimizer.dispose();
    model.dispose();
  }
});

const cliFlags = (out: string, extra: object) => ({
  dataset: 'folder',
  dataDir: folder,
  model: TINY,
  activation: 'relu' as const,
  epochs: 1,
  batchSize: 6,
  optimizer: 'adam',
  constraint: [] as string[],
  reg: [] as string[],
  track: [] as string[],
  seed: 3,
  backend: 'cpu' as const,
  out,
  ...extra,
});

test('CLI: reglab train --model resnet:… with each method writes a run whose metrics name the term', async () => {
  for (const reg of TERMS) {
    const out = path.join(root, 'runs', reg.replace(/[:.]/g, '_'));
    const result = await trainAction(cliFlags(out, { reg: [reg] }), () => {});
    assert.ok(Number.isFinite(result.testLoss), reg);
    const [metrics] = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const name = reg.split(':')[0];
    assert.ok(metrics.terms[name] > 0, `${reg}: ${JSON.stringify(metrics.terms)}`);
  }
  const out = path.join(root, 'runs', 'langevin');
  await trainAction(
    cliFlags(out, { optimizer: LANGEVIN, constraint: ['orthogonal:all-but-first'] }),
    () => {},
  );
  const model = await loadModel(path.join(out, 'model.json'));
  assertAllButFirstOrthogonal(model, 'reglab train --constraint orthogonal:all-but-first');
  model.dispose();
  const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.constraints, ['orthogonal:all-but-first']);
  // A glob that names no layer is refused before any file is written.
  const bad = path.join(root, 'runs', 'bad-glob');
  await assert.rejects(
    trainAction(
      cliFlags(bad, { optimizer: LANGEVIN, constraint: ['orthogonal@conv_*'] }),
      () => {},
    ),
    (e: Error) => e.name === 'ReglabError' && /orthogonal@conv_\*/.test(e.message),
  );
});

/** A user's functional model with a branch and a merge (not from the zoo). */
function userModel(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const input = tfl.input({ shape: [8, 8, 1] });
  const trunk = tfl.layers
    .conv2d({
      name: 'trunk',
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    })
    .apply(input) as tfl.SymbolicTensor;
  const left = tfl.layers
    .conv2d({
      name: 'left',
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: init(2),
    })
    .apply(trunk) as tfl.SymbolicTensor;
  const right = tfl.layers
    .conv2d({ name: 'right', filters: 4, kernelSize: 1, kernelInitializer: init(3) })
    .apply(trunk) as tfl.SymbolicTensor;
  const merged = tfl.layers.add({ name: 'merge' }).apply([left, right, trunk]);
  const relu = tfl.layers.activation({ name: 'merge_relu', activation: 'relu' }).apply(merged);
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(relu);
  const output = tfl.layers
    .dense({ name: 'head', units: 3, activation: 'softmax', kernelInitializer: init(4) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

test('CLI: a saved functional model.json trains (racecar + PER), reconstructs, gives its SVD and reports', async () => {
  const saved = path.join(root, 'user-model');
  const model = userModel();
  await model.save(fileSystemHandler(saved));
  model.dispose();
  const out = path.join(root, 'runs', 'user');
  await trainAction(
    cliFlags(out, {
      model: path.join(saved, 'model.json'),
      reg: ['racecar:1e-4', 'per:1e-3'],
      epochs: 2,
    }),
    () => {},
  );
  const metrics = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(metrics.length, 2);
  assert.ok(metrics[1].terms.racecar > 0 && metrics[1].terms.per > 0);
  const reconstruction = await reconstructAction(
    { run: out, out: path.join(root, 'reconstruct'), count: 3, upscale: 1 },
    undefined,
    () => {},
  );
  assert.equal(reconstruction.count, 3);
  const svd = await svdAction({ run: out, out: path.join(root, 'svd') }, () => {});
  assert.deepEqual(
    svd.layers.map((layer) => layer.name),
    ['trunk', 'left', 'right', 'head'],
  );
  assert.equal(svd.firstLayer.layer, 'trunk');
  const report = await reportAction(
    out,
    { out: path.join(root, 'report'), backend: 'cpu', reconstructions: 2 },
    () => {},
  );
  const html = await readFile(report.html, 'utf8');
  assert.match(html, /user-model/);
});
