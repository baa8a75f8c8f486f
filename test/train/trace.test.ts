import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../src/core/random.js';
import { makeDataset, makeBatch, disposeBatch, type Dataset } from '../../src/data/dataset.js';
import { forwardTrace, type ForwardTrace } from '../../src/train/trace.js';
import { Trainer } from '../../src/train/trainer.js';
import { builtinRegistries } from '../../src/registry.js';
import type { TermContext } from '../../src/train/term.js';
import { ResidualDense } from '../../src/models/residual.js';
import { assertClose, assertNoLeak, useBackend } from '../support.js';
import {
  MERGES,
  branchMerge,
  chainModels,
  nestedModel,
  sharedLayerModel,
  tinyResidual,
} from '../models/graphs.js';

before(() => useBackend());

const values = (t: tf.Tensor) => t.dataSync();

/** Every entry's inputs are the outputs of the nodes it names (the model input for `input`). */
function assertInputsWired(trace: ForwardTrace): void {
  const byName = new Map(trace.layers.map((entry) => [entry.name, entry.output]));
  byName.set('input', trace.input);
  for (const entry of trace.layers) {
    assert.equal(entry.inputs.length, entry.inputNames.length, entry.name);
    entry.inputs.forEach((input, k) =>
      assert.equal(input, byName.get(entry.inputNames[k]), `${entry.name} input ${k}`),
    );
    assert.equal(entry.input, entry.inputs[0]);
  }
}

test('a branch and a merge (add, concatenate, multiply, average): every node equals model.apply', () => {
  for (const kind of MERGES) {
    const { model, tensors, input } = branchMerge(kind);
    const names = Object.keys(tensors);
    const probe = tfl.model({ inputs: input, outputs: Object.values(tensors) });
    for (const training of [false, true]) {
      tf.tidy(() => {
        const x = new Random(1).normalTensor([5, 6]);
        const trace = forwardTrace(model, x, training);
        const expected = probe.apply(x, { training }) as tf.Tensor[];
        assert.deepEqual(
          trace.layers.map((entry) => entry.name),
          names,
        );
        names.forEach((name, i) =>
          assertClose(values(trace.layers[i].output), values(expected[i]), {
            atol: 1e-5,
            message: `${kind} ${training} ${name}`,
          }),
        );
        assertInputsWired(trace);
        assert.deepEqual(trace.layers[names.indexOf('merge')].inputNames, ['left', 'right_act']);
        // the whole model, through its own predict
        if (!training)
          assertClose(values(trace.output), values(model.predict(x) as tf.Tensor), {
            atol: 1e-5,
          });
        // a fused non-linearity is split off: output = f(pre), pre = xW + b
        const trunk = trace.layers[0];
        const [w, b] = model.getLayer('trunk').getWeights();
        const pre = trunk.preActivation as tf.Tensor;
        assertClose(values(pre), values(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b)), {
          atol: 1e-5,
        });
        assertClose(values(trunk.output), values(tf.relu(pre)), { atol: 0 });
        assert.equal(trace.layers[names.indexOf('right')].preActivation, undefined);
        assert.equal(trace.endsInSoftmax, true);
        assert.equal(trace.logitsIndex, names.length - 1);
        assertClose(values(tf.softmax(trace.logits)), values(trace.output), { atol: 1e-6 });
      });
    }
  }
});

test('a layer used twice: both calls traced, the second from the first through the ReLU', () => {
  const { model, shared, head } = sharedLayerModel();
  tf.tidy(() => {
    const x = new Random(2).normalTensor([3, 4]);
    const trace = forwardTrace(model, x, false);
    assert.deepEqual(
      trace.layers.map((e) => [e.name, e.layer]),
      [
        ['shared', shared],
        ['act', model.getLayer('act')],
        ['shared#2', shared],
        ['head', head],
      ],
    );
    const once = shared.apply(x) as tf.Tensor;
    const twice = shared.apply(tf.relu(once)) as tf.Tensor;
    assertClose(values(trace.layers[0].output), values(once), { atol: 1e-6 });
    assertClose(values(trace.layers[2].output), values(twice), { atol: 1e-6 });
    assertClose(values(trace.output), values(model.predict(x) as tf.Tensor), { atol: 1e-6 });
    assertInputsWired(trace);
  });
});

test('a nested model called twice: inner nodes traced under outer/inner names', () => {
  const { model, inner } = nestedModel();
  tf.tidy(() => {
    const x = new Random(3).normalTensor([3, 4]);
    const trace = forwardTrace(model, x, false);
    const d1 = inner.getLayer('d1');
    const first = inner.predict(x) as tf.Tensor;
    const second = inner.predict(first) as tf.Tensor;
    const entry = (name: string) =>
      trace.layers.find((e) => e.name === name) as (typeof trace.layers)[number];
    assertClose(values(entry('inner/d1').output), values(d1.apply(x) as tf.Tensor), { atol: 1e-6 });
    assertClose(values(entry('inner/d2').output), values(first), { atol: 1e-6 });
    assertClose(values(entry('inner#2/d1').output), values(d1.apply(first) as tf.Tensor), {
      atol: 1e-6,
    });
    assertClose(values(entry('inner#2/d2').output), values(second), { atol: 1e-6 });
    assertClose(values(trace.output), values(model.predict(x) as tf.Tensor), { atol: 1e-6 });
    assertInputsWired(trace);
  });
});

test('a residual graph ending in a Softmax layer: the logits are its input, model.predict agrees', () => {
  const model = tinyResidual(6, { softmax: 'layer', projection: true });
  tf.tidy(() => {
    const x = new Random(4).normalTensor([2, 5, 5, 1]);
    const trace = forwardTrace(model, x, false);
    assert.equal(trace.endsInSoftmax, true);
    assert.equal(trace.layers[trace.logitsIndex].name, 'logits');
    assert.equal(trace.logits, trace.layers[trace.logitsIndex].output);
    assertClose(values(trace.output), values(model.predict(x) as tf.Tensor), { atol: 1e-5 });
    assertInputsWired(trace);
  });
});

function toyImages(n: number, seed: number, size = 6): Dataset {
  const rng = new Random(seed);
  const x = Float32Array.from({ length: n * size * size }, () => rng.uniform());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return makeDataset({ name: 'toy', x, labels, sampleShape: [size, size, 1], numClasses: 3 });
}

/** The values of `specs` on `model` for one batch, each term built from a generator seeded alike. */
function termValues(model: tfl.LayersModel, data: Dataset, specs: readonly string[]): number[] {
  const { terms } = builtinRegistries();
  const batch = makeBatch(
    data,
    Int32Array.from({ length: 6 }, (_, i) => i),
  );
  const result = specs.map((spec) => {
    const term = terms.create(spec, { rng: new Random(9) });
    term.prepare?.(model);
    return tf.tidy(() => {
      const trace = forwardTrace(model, batch.x, true);
      const context: TermContext = { trace, batch, model, rng: new Random(10), step: 0 };
      return term.compute(context).dataSync()[0];
    });
  });
  disposeBatch(batch);
  return result;
}

test('a Sequential and the same net as tf.model: the same trace and the same PER, DR and racecar', () => {
  const { sequential, functional } = chainModels();
  const data = toyImages(6, 5);
  tf.tidy(() => {
    const x = new Random(6).normalTensor([4, 6, 6, 1]);
    const a = forwardTrace(sequential, x, true);
    const b = forwardTrace(functional, x, true);
    assert.deepEqual(
      a.layers.map((e) => [e.name, e.className, e.inputNames]),
      b.layers.map((e) => [e.name, e.className, e.inputNames]),
    );
    a.layers.forEach((entry, i) =>
      assertClose(values(entry.output), values(b.layers[i].output), { atol: 0 }),
    );
    assert.equal(a.logitsIndex, b.logitsIndex);
    assertClose(values(a.logits), values(b.logits), { atol: 0 });
  });
  const specs = [
    'per:1',
    'per:pre:channels:1@conv',
    'dr:1',
    'dr:rbf:1@act',
    'racecar:1',
    'racecar:mean:layerwise:1',
  ];
  const onSequential = termValues(sequential, data, specs);
  const onFunctional = termValues(functional, data, specs);
  assert.ok(
    onSequential.every((v) => Number.isFinite(v) && v !== 0),
    `${onSequential}`,
  );
  assertClose(onFunctional, onSequential, { rtol: 1e-6, atol: 0, message: specs.join(' ') });
});

test('a residual block as a ResidualDense Sequential and as tf.model dense + add: same output, PER and DR', () => {
  const sequential = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'dense_1', units: 4, activation: 'relu', inputShape: [5] }),
      new ResidualDense({ name: 'res', activation: 'relu', seed: 3, initScale: 1 }),
      tfl.layers.dense({ name: 'out', units: 3, activation: 'softmax' }),
    ],
  });
  const input = tfl.input({ shape: [5] });
  const h = tfl.layers
    .dense({ name: 'dense_1', units: 4, activation: 'relu' })
    .apply(input) as tfl.SymbolicTensor;
  const branch = tfl.layers
    .dense({ name: 'branch', units: 4, activation: 'relu' })
    .apply(h) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'res' }).apply([h, branch]) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ name: 'out', units: 3, activation: 'softmax' }).apply(sum);
  const functional = tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor });
  functional.setWeights(sequential.getWeights()); // dense_1, res (W, b) = branch (W, b), out
  const data = vectors(6, 5, 3);
  tf.tidy(() => {
    const x = new Random(7).normalTensor([4, 5]);
    assertClose(
      values(forwardTrace(functional, x, false).output),
      values(forwardTrace(sequential, x, false).output),
      { atol: 1e-6 },
    );
  });
  // `res` names the block in one and the residual unit the Add closes in the other: the same
  // tensor. (The default sites differ by design: with Add merges they are the units' outputs
  // only, models/anatomy.ts; without, every hidden block, here dense_1 and res.)
  const specs = ['per:1@res', 'dr:1@res', 'per:1@dense_1,res', 'dr:rbf:1@dense_1,res'];
  assertClose(termValues(functional, data, specs), termValues(sequential, data, specs), {
    rtol: 1e-5,
    atol: 0,
  });
});

test('trainer steps on graphs (merges, a shared layer, a nested model, a ResNet unit) leak no tensor', async () => {
  const cases: { model: tfl.LayersModel; data: Dataset; specs: string[] }[] = [
    {
      model: branchMerge('concatenate').model,
      data: vectors(12, 6, 3),
      specs: ['per:1e-3', 'dr:1e-3'],
    },
    { model: sharedLayerModel().model, data: vectors(12, 4, 2), specs: ['per:1e-3', 'dr:1e-3'] },
    { model: nestedModel().model, data: vectors(12, 4, 2), specs: ['per:1e-3', 'dr:1e-3'] },
    {
      model: tinyResidual(7, { projection: true }),
      data: toyImages(12, 8, 5),
      specs: ['per:1e-3', 'dr:1e-3', 'racecar:1e-3'],
    },
  ];
  for (const { model, data, specs } of cases) {
    const rng = new Random(11);
    const { terms } = builtinRegistries();
    const trainer = new Trainer({
      model,
      optimizer: tf.train.sgd(1e-2),
      terms: specs.map((spec) => terms.create(spec, { rng })),
      rng,
    });
    await assertNoLeak(() => trainer.trainEpoch(data, 6), 2);
  }
});

function vectors(n: number, features: number, classes: number): Dataset {
  const rng = new Random(n * features);
  const x = Float32Array.from({ length: n * features }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  return makeDataset({ name: 'vectors', x, labels, sampleShape: [features], numClasses: classes });
}
