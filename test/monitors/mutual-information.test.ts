import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { makeBatch, makeDataset, disposeBatch, type Dataset } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/zoo.js';
import { Trainer } from '../../src/train/trainer.js';
import { forwardTrace } from '../../src/train/trace.js';
import { builtinRegistries } from '../../src/registry.js';
import {
  MutualInformationMonitor,
  mutualInformationMonitor,
  traceBlocks,
} from '../../src/monitors/mutual-information.js';
import { digammaTable, mutualInformation } from '../../src/analysis/mutual-information/index.js';
import type { Monitor } from '../../src/train/term.js';
import { assertClose, assertNoLeak, useBackend } from '../support.js';

before(() => useBackend());

/** n random 4×4 images, labels 0..classes−1 with unequal counts (so H(Y) is not a round number). */
function toyData(n: number, classes: number, seed: number): Dataset {
  const rng = new Random(seed);
  const x = Float32Array.from({ length: n * 16 }, () => rng.uniform());
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i % classes));
  return makeDataset({ name: 'toy', x, labels, sampleShape: [4, 4, 1], numClasses: classes });
}

/** H(Y) in bits from the label counts: the independent oracle for I(T;Y) ≤ H(Y). */
function labelEntropy(labels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  let h = 0;
  for (const count of counts.values())
    h -= (count / labels.length) * Math.log2(count / labels.length);
  return h;
}

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

function measure(
  spec: string,
  model = buildModel('mlp:12,6', {
    inputShape: [4, 4, 1],
    numClasses: 3,
    rng: new Random(3),
    activation: 'tanh',
  }),
  n = 64,
) {
  const data = toyData(n, 3, 1);
  const batch = makeBatch(data, all(n));
  const monitor = builtinRegistries().monitors.create(spec, { rng: new Random(0) });
  const values = tf.tidy(() =>
    monitor.compute({
      trace: forwardTrace(model, batch.x, false),
      batch,
      model,
      rng: new Random(0),
      step: 0,
    }),
  );
  disposeBatch(batch);
  return { values, hy: labelEntropy(data.labels), n, labels: data.labels };
}

/** ψ at the integers, for the kNN estimators' ceilings. */
const psi = digammaTable(1000);

test('every block gets I(X;T) and I(T;Y) within each estimator’s ceiling, for all three', () => {
  for (const spec of [
    'mi:0',
    'mi:knn:k=5:0',
    'mi:binning:0',
    'mi:binning:dims=3:bins=4:0',
    'mi:kde:0',
    'mi:kde:noise=0.1:0',
  ]) {
    const { values, hy, n, labels } = measure(spec);
    const expected = ['dense_1', 'dense_2', 'dense_3'].flatMap((block) => [
      `${block}/ixt`,
      `${block}/ity`,
    ]);
    assert.deepEqual(Object.keys(values), expected, spec);
    const knn = !spec.includes('binning') && !spec.includes('kde');
    const k = spec.includes('k=5') ? 5 : 3;
    // kNN: Î(X;T) ≤ ψ(n) − ψ(k) and Î(T;Y) ≤ ψ(n) − ⟨ψ(N_y)⟩ (./knn.ts), in bits.
    const sizes = new Map<number, number>();
    for (const y of labels) sizes.set(y, (sizes.get(y) ?? 0) + 1);
    const meanPsiNy = [...labels].reduce((s, y) => s + psi[sizes.get(y) as number], 0) / n;
    const ixtMax = knn ? (psi[n] - psi[k]) / Math.LN2 : Math.log2(n);
    const ityMax = knn ? (psi[n] - meanPsiNy) / Math.LN2 : hy;
    for (const block of ['dense_1', 'dense_2', 'dense_3']) {
      const ixt = values[`${block}/ixt`];
      const ity = values[`${block}/ity`];
      assert.ok(ixt <= ixtMax + 1e-9, `${spec} ${block}: I(X;T) = ${ixt} > ${ixtMax}`);
      assert.ok(ity <= ityMax + 1e-9, `${spec} ${block}: I(T;Y) = ${ity} > ${ityMax}`);
      if (!knn) {
        // Plug-in and kernel estimates are non-negative and obey data processing exactly.
        assert.ok(ixt >= -1e-9 && ity >= -1e-9, `${spec} ${block}: ${ixt}, ${ity}`);
        assert.ok(ity <= ixt + 1e-9, `${spec} ${block}: I(T;Y) = ${ity} > I(X;T) = ${ixt}`);
      }
    }
  }
});

test('the default is knn: KSG against the input pixels and Ross against the labels', () => {
  const model = buildModel('mlp:12,6', {
    inputShape: [4, 4, 1],
    numClasses: 3,
    rng: new Random(3),
    activation: 'tanh',
  });
  const { values } = measure('mi@dense_2', model);
  const data = toyData(64, 3, 1);
  const batch = makeBatch(data, all(64));
  const expected = tf.tidy(() => {
    const trace = forwardTrace(model, batch.x, false);
    const t = traceBlocks(trace)[1].last.output;
    return { ...mutualInformation(t, batch.labels, { estimator: 'knn', inputs: batch.x }) };
  });
  disposeBatch(batch);
  assert.deepEqual(values, { 'dense_2/ixt': expected.ixt, 'dense_2/ity': expected.ity });
});

test('binning every unit (dims=0, the old default) separates every sample: I(X;T) = log2 n, I(T;Y) = H(Y)', () => {
  // With every sample in its own bin pattern, T is a copy of X, so both quantities hit their maxima.
  const { values, hy, n } = measure('mi:binning:dims=0:0@dense_1');
  assert.deepEqual(Object.keys(values), ['dense_1/ixt', 'dense_1/ity']);
  assertClose(values['dense_1/ixt'], Math.log2(n), { atol: 1e-9 });
  assertClose(values['dense_1/ity'], hy, { atol: 1e-9 });
  // The same layer's top two principal components in 30 bins do not: fewer patterns than samples.
  const projected = measure('mi:binning:0@dense_1').values;
  assert.ok(projected['dense_1/ixt'] < Math.log2(n) - 0.1, JSON.stringify(projected));
});

test('2 bins on the softmax output lose information: I(X;T) < log2 n', () => {
  const { values, n } = measure('mi:binning:dims=0:bins=2:0@dense_3');
  assert.ok(values['dense_3/ixt'] < Math.log2(n) - 0.5, `I(X;T) = ${values['dense_3/ixt']}`);
});

test('blocks of a batch-norm model end at their activation layer', () => {
  const model = buildModel('mlp:8', {
    inputShape: [4, 4, 1],
    numClasses: 2,
    rng: new Random(1),
    batchNorm: true,
  });
  const names = tf.tidy(() =>
    traceBlocks(forwardTrace(model, tf.zeros([2, 4, 4, 1]), false)).map(
      (b) => `${b.name}:${b.last.name}`,
    ),
  );
  assert.deepEqual(names, ['dense_1:act_1', 'dense_2:dense_2']);
});

test('the trainer records mi/<block>/ixt per epoch, and the monitor leaks no tensors', async () => {
  const rng = new Random(2);
  const model = buildModel('mlp:8', { inputShape: [4, 4, 1], numClasses: 3, rng });
  const trainer = new Trainer({
    model,
    optimizer: tf.train.sgd(0.1),
    monitors: [mutualInformationMonitor({ samples: 32 })],
    rng,
  });
  const data = toyData(40, 3, 4);
  await assertNoLeak(() => trainer.runMonitors(data, 32));
  await trainer.fit(data, { epochs: 2, batchSize: 20, validation: data });
  assert.equal(trainer.history.length, 2);
  for (const metrics of trainer.history) {
    assert.ok(Number.isFinite(metrics.monitors['mi/dense_1/ixt']));
    assert.ok(Number.isFinite(metrics.monitors['mi/dense_2/ity']));
  }
});

test('the trainer gives the MI monitor its own sample count and the others monitorSamples', () => {
  const seen: Record<string, number> = {};
  const probe = (name: string, samples?: number): Monitor => ({
    name,
    samples,
    compute: ({ batch }) => {
      seen[name] = batch.labels.length;
      return { n: batch.labels.length };
    },
  });
  const rng = new Random(5);
  const model = buildModel('mlp:8', { inputShape: [4, 4, 1], numClasses: 3, rng });
  const trainer = new Trainer({
    model,
    optimizer: tf.train.sgd(0.1),
    monitors: [
      probe('plain'),
      probe('wide', 50),
      probe('huge', 10_000),
      mutualInformationMonitor(),
    ],
    rng,
  });
  const out = trainer.runMonitors(toyData(80, 3, 6), 16);
  assert.deepEqual(seen, { plain: 16, wide: 50, huge: 80 });
  assert.deepEqual(Object.keys(out).slice(0, 3), ['plain/n', 'wide/n', 'huge/n']);
  assert.equal(mutualInformationMonitor().samples, 2000);
});

test('bad options and unknown blocks are errors naming the fix', () => {
  const create = (text: string) =>
    builtinRegistries().monitors.create(text, { rng: new Random(0) });
  assert.throws(() => create('mi:gauss'), /unknown option "gauss"/);
  assert.throws(() => create('mi:bins=1'), /bins "1"/);
  assert.throws(() => create('mi:k=0'), /k "0"/);
  assert.throws(() => create('mi:k=2.5'), /k "2.5"/);
  assert.throws(() => create('mi:samples=1'), /samples "1"/);
  assert.throws(() => create('mi:k=10:samples=10'), /more than 10 samples/);
  assert.throws(() => create('mi:dims=-1'), /dims "-1"/);
  assert.throws(() => create('mi:estimator=gauss'), /not one of knn, binning, kde/);
  assert.throws(() => create('mi:name=a/b'), /name "a\/b"/);
  assert.equal(create('mi:binning:name=mi_pca').name, 'mi_pca');
  // an option of another estimator is not silently ignored (the first wave's mi:bins=100:0 binned)
  assert.throws(
    () => create('mi:bins=100'),
    /bins=100 belongs to the binning estimator.*write mi:binning:bins=100/s,
  );
  assert.throws(() => create('mi:kde:dims=3'), /dims=3 belongs to the binning estimator/);
  assert.throws(() => create('mi:binning:k=5'), /k=5 belongs to the knn estimator/);
  assert.throws(() => create('mi:noise=0.1'), /write mi:kde:noise=0.1/);
  assert.equal((create('mi:binning:bins=100:dims=3') as MutualInformationMonitor).bins, 100);
  assert.throws(() => measure('mi@conv_9'), /no block named "conv_9".*dense_1/s);
});
