import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../src/core/random.js';
import { makeBatch, makeDataset, disposeBatch, type Dataset } from '../../../src/data/dataset.js';
import { buildModel } from '../../../src/models/zoo.js';
import { Trainer } from '../../../src/train/trainer.js';
import { forwardTrace } from '../../../src/train/trace.js';
import { builtinRegistries } from '../../../src/registry.js';
import {
  centerLoss,
  differentClassMask,
  differentClassPairs,
  diversify,
  DiversifyTerm,
  featureLayerNames,
  maskedPairMean,
  pairwiseSimilarity,
  SIMILARITIES,
  trainGreedyLayerwise,
  type SimilarityKind,
} from '../../../src/methods/diversify/index.js';
import { cosinePairs, maskedCosineMean } from '../../../src/methods/diversify/similarity.js';
import { assertClose, assertNoLeak, useBackend } from '../../support.js';

before(() => useBackend());

/** Brute-force DR_l in float64: a loop over pairs i < j with different labels. */
function referenceDr(
  h: number[][],
  labels: number[],
  kind: SimilarityKind,
  tau: number,
  margin: number,
): number {
  const dot = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k], 0);
  const similarity = (a: number[], b: number[]): number => {
    const distance = Math.sqrt(a.reduce((s, x, k) => s + (x - b[k]) ** 2, 0));
    switch (kind) {
      case 'cosine':
        return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
      case 'dot':
        return Math.abs(dot(a, b)) / a.length;
      case 'rbf':
        return Math.exp(-(distance ** 2) / tau);
      case 'margin':
        return Math.max(0, margin - distance) ** 2;
    }
  };
  let sum = 0;
  let count = 0;
  for (let i = 0; i < h.length; i++) {
    for (let j = i + 1; j < h.length; j++) {
      if (labels[i] === labels[j]) continue;
      sum += similarity(h[i], h[j]);
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

function features(n: number, d: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
}

const LABELS = [0, 1, 0, 2, 1, 2];

function oneHot(labels: number[], classes: number): tf.Tensor2D {
  return tf.tidy(
    () => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D,
  );
}
const TAU = 4;
const MARGIN = 3;

function drValue(kind: SimilarityKind, h: tf.Tensor2D, labels: number[]): tf.Scalar {
  return tf.tidy(() => {
    const y = oneHot(labels, 3);
    return maskedPairMean(
      pairwiseSimilarity(h, kind, { tau: TAU, margin: MARGIN }),
      differentClassMask(y),
    );
  });
}

test('DR_l matches a brute-force loop over different-class pairs, for every similarity', () => {
  const h = features(6, 5, 1);
  for (const kind of SIMILARITIES) {
    const value = tf.tidy(() => drValue(kind, tf.tensor2d(h), LABELS).dataSync()[0]);
    assertClose(value, referenceDr(h, LABELS, kind, TAU, MARGIN), {
      rtol: 1e-5,
      atol: 1e-6,
      message: kind,
    });
  }
});

test('the DR gradient matches central finite differences of the float64 reference', () => {
  const h = features(6, 5, 2);
  for (const kind of SIMILARITIES) {
    const gradient = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => drValue(kind, x as tf.Tensor2D, LABELS))(tf.tensor2d(h))
        .dataSync(),
    );
    const step = 1e-6;
    const numeric: number[] = [];
    for (let i = 0; i < h.length; i++) {
      for (let k = 0; k < h[0].length; k++) {
        const shifted = (delta: number) =>
          h.map((row, r) => row.map((x, c) => (r === i && c === k ? x + delta : x)));
        numeric.push(
          (referenceDr(shifted(step), LABELS, kind, TAU, MARGIN) -
            referenceDr(shifted(-step), LABELS, kind, TAU, MARGIN)) /
            (2 * step),
        );
      }
    }
    assertClose(gradient, numeric, { atol: 2e-5, rtol: 1e-3, message: kind });
  }
});

test("cosine DR with its written-out gradient: the generic value exactly, autodiff's gradient, finite differences", () => {
  const rows = features(9, 6, 7);
  rows[4] = rows[4].map(() => 0); // a dead feature row (ε keeps it finite)
  const labels = [0, 1, 0, 2, 1, 2, 2, 0, 1];
  for (const [name, hRows, y] of [
    ['mixed classes', rows, labels],
    ['one class', rows, labels.map(() => 1)],
  ] as const) {
    const [fused, generic] = tf.tidy(() => {
      const h = tf.tensor2d(hRows as number[][]);
      const mask = differentClassMask(oneHot([...y], 3));
      const run = (f: (x: tf.Tensor2D) => tf.Scalar) => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => f(x as tf.Tensor2D))(h);
        return { value: value.dataSync()[0], grad: grad.dataSync() };
      };
      const shared = run((x) => maskedCosineMean(x, cosinePairs(mask))); // as the term calls it
      const fromMask = run((x) => maskedCosineMean(x, mask));
      assert.deepEqual(shared, fromMask);
      return [fromMask, run((x) => maskedPairMean(pairwiseSimilarity(x, 'cosine'), mask))];
    });
    assert.equal(fused.value, generic.value, `${name}: value`);
    assertClose(fused.grad, generic.grad, { rtol: 1e-5, atol: 1e-7, message: `${name}: gradient` });
  }
  const h = features(6, 5, 8);
  const gradient = tf.tidy(() =>
    tf
      .grad((x: tf.Tensor) =>
        maskedCosineMean(x as tf.Tensor2D, differentClassMask(oneHot(LABELS, 3))),
      )(tf.tensor2d(h))
      .dataSync(),
  );
  const step = 1e-6;
  const numeric = h.flatMap((row, i) =>
    row.map((_, k) => {
      const shifted = (delta: number) =>
        h.map((r, a) => r.map((x, c) => (a === i && c === k ? x + delta : x)));
      return (
        (referenceDr(shifted(step), LABELS, 'cosine', TAU, MARGIN) -
          referenceDr(shifted(-step), LABELS, 'cosine', TAU, MARGIN)) /
        (2 * step)
      );
    }),
  );
  assertClose(gradient, numeric, { atol: 2e-5, rtol: 1e-3, message: 'finite differences' });
});

test('the pair mask holds exactly the different-class pairs i < j; same-class pairs contribute nothing', () => {
  const labels = [2, 0, 2, 1, 0];
  const mask = tf.tidy(() => differentClassMask(oneHot(labels, 3)).arraySync());
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 5; j++)
      assert.equal(mask[i][j], i < j && labels[i] !== labels[j] ? 1 : 0, `(${i},${j})`);
  // Moving two same-class rows onto each other (cosine 1) changes no term of DR but those
  // pairing them with other classes: zeroing those out via labels all equal gives exactly 0.
  const oneClass = [1, 1, 1, 1, 1, 1];
  for (const kind of SIMILARITIES) {
    const [value, gradient] = tf.tidy(() => {
      const x = tf.tensor2d(features(6, 4, 3));
      const { value: v, grad } = tf.valueAndGrad((t: tf.Tensor) =>
        drValue(kind, t as tf.Tensor2D, oneClass),
      )(x);
      return [v.dataSync()[0], grad.dataSync()];
    }) as [number, Float32Array];
    assert.equal(value, 0, kind);
    assert.ok(
      gradient.every((g) => g === 0),
      `${kind}: one-class gradient must be exactly 0 (no NaN)`,
    );
  }
});

test('the pair mask equals the bandPart formula triu(1 − y·yᵀ) exactly, also for soft targets', () => {
  const rng = new Random(4);
  for (const [n, classes, soft] of [
    [7, 3, false],
    [33, 10, false],
    [9, 4, true],
  ] as const) {
    const labels = Array.from({ length: n }, () => rng.int(classes));
    const y = soft
      ? tf.tensor2d(
          Array.from({ length: n * classes }, () => rng.uniform()),
          [n, classes],
        )
      : oneHot(labels, classes);
    const [got, reference] = tf.tidy(() => [
      differentClassMask(y).dataSync(),
      tf.linalg.bandPart(tf.sub(1, tf.matMul(y, y, false, true)), 0, -1).dataSync(),
    ]);
    // === (not deepEqual): a negative entry times 0 is −0 here, 0 in bandPart; both are zero.
    got.forEach((v, k) =>
      assert.ok(
        v === reference[k],
        `n = ${n}${soft ? ', soft' : ''} [${k}]: ${v} vs ${reference[k]}`,
      ),
    );
    y.dispose();
  }
});

test('maxPairs keeps a seeded subset of the valid pairs', () => {
  const labels = Array.from({ length: 20 }, (_, i) => i % 4);
  const y = oneHot(labels, 4);
  const draw = (seed: number) =>
    tf.tidy(() => differentClassMask(y, 25, new Random(seed)).arraySync());
  const full = tf.tidy(() => differentClassMask(y).arraySync());
  const a = draw(1);
  const kept = a.flat().reduce((s, v) => s + v, 0);
  assert.equal(kept, 25);
  a.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(v <= full[i][j], 'a capped pair must be a valid pair')),
  );
  assert.deepEqual(draw(1), a);
  assert.notDeepEqual(draw(2), a);
  // A cap above the number of pairs keeps them all.
  assert.deepEqual(
    tf.tidy(() => differentClassMask(y, 10_000, new Random(1)).arraySync()),
    full,
  );
  assert.equal(
    differentClassPairs(labels).first.length,
    full.flat().reduce((s, v) => s + v, 0),
  );
  y.dispose();
});

/** Two-class toy data: class = brighter left or right half of a 4×4 image. */
function toyData(n: number, seed: number, classes = 2): Dataset {
  const rng = new Random(seed);
  const x = new Float32Array(n * 16);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let p = 0; p < 16; p++)
      x[i * 16 + p] = rng.uniform() * 0.5 + (p % classes === labels[i] ? 0.5 : 0);
  }
  return makeDataset({ name: 'toy', x, labels, sampleShape: [16], numClasses: classes });
}

test('the dr term equals Σ_l w_l DR_l of the traced layers, and trains without leaks', async () => {
  const data = toyData(12, 4, 3);
  const rng = new Random(5);
  const model = buildModel('mlp:6,5', {
    inputShape: [16],
    numClasses: 3,
    rng,
    activation: 'sigmoid',
  });
  assert.deepEqual(featureLayerNames(model), ['dense_1', 'dense_2']);
  const term = diversify({ lambda: 0.1, similarity: 'rbf', layerWeights: [0.5, 2] });
  term.prepare(model);
  const batch = makeBatch(
    data,
    Int32Array.from({ length: 12 }, (_, i) => i),
  );
  const value = tf.tidy(() => {
    const trace = forwardTrace(model, batch.x, true);
    const expected =
      0.5 *
        referenceDr(
          trace.layers[0].output.arraySync() as number[][],
          [...batch.labels],
          'rbf',
          6,
          1,
        ) +
      2 *
        referenceDr(
          trace.layers[1].output.arraySync() as number[][],
          [...batch.labels],
          'rbf',
          5,
          1,
        );
    return [term.compute({ trace, batch, model, rng, step: 0 }).dataSync()[0], expected];
  });
  assertClose(value[0], value[1], { rtol: 1e-5 });
  disposeBatch(batch);
  const trainer = new Trainer({
    model,
    optimizer: tf.train.sgd(0.5),
    terms: [diversify({ lambda: 1, maxPairs: 10 })],
    rng,
  });
  await assertNoLeak(() => trainer.trainEpoch(data, 6));
});

test('DR lowers the between-class cosine of the hidden features', async () => {
  const data = toyData(32, 6);
  const cosineAfter = async (lambda: number) => {
    const rng = new Random(7);
    const model = buildModel('mlp:8', {
      inputShape: [16],
      numClasses: 2,
      rng,
      activation: 'sigmoid',
    });
    const trainer = new Trainer({
      model,
      optimizer: tf.train.sgd(0.5),
      terms: [diversify({ lambda })],
      rng,
    });
    await trainer.fit(data, { epochs: 10, batchSize: 16 });
    const batch = makeBatch(
      data,
      Int32Array.from({ length: 32 }, (_, i) => i),
    );
    const value = tf.tidy(
      () =>
        diversify({ lambda: 1 })
          .layerValue(
            forwardTrace(model, batch.x, false).layers[0].output as tf.Tensor2D,
            differentClassMask(batch.y),
          )
          .dataSync()[0],
    );
    disposeBatch(batch);
    model.dispose();
    return value;
  };
  const plain = await cosineAfter(0);
  const regularized = await cosineAfter(1);
  assert.ok(
    regularized < plain - 0.05,
    `between-class cosine with DR ${regularized} vs without ${plain}`,
  );
});

test('greedy layer-wise training freezes each finished layer', async () => {
  const data = toyData(24, 8);
  const snapshots: Float32Array[] = [];
  const { model, stages } = await trainGreedyLayerwise({
    widths: [6, 4],
    train: data,
    epochsPerLayer: 2,
    batchSize: 8,
    optimizer: () => tf.train.sgd(0.5),
    dr: { lambda: 0.1 },
    rng: new Random(9),
    onStage: (_stage, stageModel) =>
      snapshots.push(stageModel.getLayer('dense_1').getWeights()[0].dataSync() as Float32Array),
  });
  assert.equal(stages.length, 2);
  assert.equal(stages[1].length, 2);
  assert.deepEqual(snapshots[1], snapshots[0], 'dense_1 must not move while dense_2 trains');
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['dense_1', 'dense_2', 'dense_3'],
  );
  assert.ok(
    model.layers.every((l) => l.trainable),
    'the returned model is unfrozen for fine-tuning',
  );
  model.dispose();
});

test('center loss equals 1/(2n) Σ‖h_i − c_{y_i}‖² and its centers move to the class means', async () => {
  const data = toyData(16, 10);
  const rng = new Random(11);
  const model = buildModel('mlp:5', {
    inputShape: [16],
    numClasses: 2,
    rng,
    activation: 'sigmoid',
  });
  const term = centerLoss({ lambda: 1 });
  const trainer = new Trainer({ model, optimizer: tf.train.sgd(1), terms: [term], rng });
  // Freeze the network so the features are fixed and the centers alone descend.
  for (const layer of model.layers) layer.trainable = false;
  const batch = makeBatch(
    data,
    Int32Array.from({ length: 16 }, (_, i) => i),
  );
  const h = tf.tidy(
    () => forwardTrace(model, batch.x, false).layers[0].output.arraySync() as number[][],
  );
  const expected = h.reduce((s, row) => s + row.reduce((t, x) => t + x * x, 0), 0) / 32;
  const result = trainer.trainStep(batch);
  assertClose(result.terms.center, expected, { rtol: 1e-5 });
  for (let i = 0; i < 60; i++) trainer.trainStep(batch);
  const centers = term.variables[0].arraySync() as number[][];
  for (const label of [0, 1]) {
    const rows = h.filter((_, i) => batch.labels[i] === label);
    const mean = rows[0].map((_, k) => rows.reduce((s, r) => s + r[k], 0) / rows.length);
    assertClose(centers[label], mean, { atol: 1e-3 });
  }
  disposeBatch(batch);
  term.dispose();
});

test('--reg specs create the terms', () => {
  const { terms } = builtinRegistries();
  const dr = terms.create('dr:rbf:tau=2:maxPairs=64:1e-2@dense_1,dense_2', {
    rng: new Random(0),
  }) as DiversifyTerm;
  assert.equal(dr.weight, 1e-2);
  assert.equal(dr.similarity, 'rbf');
  assert.deepEqual(
    [dr.options.layers, dr.options.tau, dr.options.margin, dr.options.maxPairs],
    [['dense_1', 'dense_2'], 2, undefined, 64],
  );
  assert.equal(terms.create('center:1e-3@dense_2', { rng: new Random(0) }).name, 'center');
  assert.throws(() => terms.create('dr:euclid:1', { rng: new Random(0) }), /euclid/);
  assert.throws(() => terms.create('dr:tau=-1:1', { rng: new Random(0) }), /tau "-1"/);
});
