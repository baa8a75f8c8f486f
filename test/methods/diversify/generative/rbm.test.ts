import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../../src/core/random.js';
import { makeDataset, type Dataset } from '../../../../src/data/dataset.js';
import { Trainer } from '../../../../src/train/trainer.js';
import {
  cdStep,
  DIVERGENCES,
  divergenceOfPairs,
  generativeDrGradients,
  generativeDrPenalty,
  loadUnrolled,
  pairDivergence,
  pairPenalty,
  Rbm,
  saveUnrolled,
  trainDbn,
  trainRbm,
  unrollDbn,
  uniformFrom,
  type DivergenceKind,
} from '../../../../src/methods/diversify/generative/index.js';
import { assertClose, assertNoLeak, useBackend } from '../../../support.js';

before(() => useBackend());

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const HIDDEN_STATES = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => [s & 1, (s >> 1) & 1, (s >> 2) & 1]);

/** q(h|a) for all 8 states h ∈ {0,1}³, by enumeration. */
function posterior(a: number[]): number[] {
  return HIDDEN_STATES.map((h) =>
    h.reduce((q, hk, k) => q * (hk ? sigmoid(a[k]) : 1 - sigmoid(a[k])), 1),
  );
}

/** Every divergence by brute-force enumeration over h (not the per-unit closed forms). */
function bruteForceDivergence(kind: DivergenceKind, a: number[], b: number[]): number {
  const p = posterior(a);
  const q = posterior(b);
  const coefficient = p.reduce((s, pi, i) => s + Math.sqrt(pi * q[i]), 0);
  switch (kind) {
    case 'bhattacharyya':
      return coefficient;
    case 'bhattacharyya-distance':
      return -Math.log(coefficient);
    case 'hellinger':
      return Math.sqrt(1 - coefficient);
    case 'symmetric-kl':
      return p.reduce((s, pi, i) => s + (pi - q[i]) * (Math.log(pi) - Math.log(q[i])), 0);
  }
}

const PAIRS_A = [
  [0.3, -1.2, 2.0],
  [4.0, 0.0, -3.0],
  [-0.5, 0.7, 1.1],
];
const PAIRS_B = [
  [-0.8, 0.4, 1.5],
  [-2.0, 0.5, 3.5],
  [-0.5, 0.7, 1.1],
];

test('closed-form divergences match brute-force enumeration over h ∈ {0,1}³', () => {
  for (const kind of DIVERGENCES) {
    const values = tf.tidy(() =>
      pairDivergence(kind, tf.tensor2d(PAIRS_A), tf.tensor2d(PAIRS_B)).dataSync(),
    );
    const expected = PAIRS_A.map((a, i) => bruteForceDivergence(kind, a, PAIRS_B[i]));
    assertClose(values, expected, {
      rtol: 1e-4,
      atol: kind === 'hellinger' ? 1e-5 : 1e-6,
      message: kind,
    });
  }
});

test('identical posteriors: coefficient 1, every distance 0; penalties have the DR sign', () => {
  const a = tf.tensor2d([[0.3, -7, 12, 0]]);
  const far = tf.tensor2d([[-5, 7, -12, 6]]);
  const expectedSame: Record<DivergenceKind, number> = {
    bhattacharyya: 1,
    'bhattacharyya-distance': 0,
    hellinger: 0,
    'symmetric-kl': 0,
  };
  for (const kind of DIVERGENCES) {
    assertClose(
      tf.tidy(() => pairDivergence(kind, a, a).dataSync()[0]),
      expectedSame[kind],
      { atol: 1e-5, message: kind },
    );
    // The penalty DR minimises must be lower for posteriors that differ more.
    const [same, apart] = tf.tidy(() => [
      pairPenalty(kind, a, a).dataSync()[0],
      pairPenalty(kind, a, far).dataSync()[0],
    ]);
    assert.ok(apart < same, `${kind}: penalty ${apart} (apart) should be below ${same} (same)`);
  }
  // Hundreds of saturated units: log space keeps BC finite, positive and differentiable.
  const wide = tf.tidy(() => tf.mul(tf.ones([1, 500]), 8)) as tf.Tensor2D;
  const value = tf.tidy(
    () => pairDivergence('bhattacharyya-distance', wide, tf.neg(wide) as tf.Tensor2D).dataSync()[0],
  );
  assert.ok(
    Number.isFinite(value) && value > 100,
    `D_B of opposite saturated posteriors: ${value}`,
  );
  tf.dispose([a, far, wide]);
});

test('batch pairs through pair matrices equal the same pairs as explicit rows and the float64 enumeration', () => {
  const rng = new Random(11);
  const rows = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => 6 * rng.normal()));
  const pairs = { first: Int32Array.from([0, 5, 2, 2]), second: Int32Array.from([3, 1, 4, 5]) };
  for (const kind of DIVERGENCES) {
    const [batched, explicit] = tf.tidy(() => [
      divergenceOfPairs(kind, tf.tensor2d(rows), pairs).dataSync(),
      pairDivergence(
        kind,
        tf.tensor2d(Array.from(pairs.first, (i) => rows[i])),
        tf.tensor2d(Array.from(pairs.second, (j) => rows[j])),
      ).dataSync(),
    ]);
    assertClose(batched, explicit, { rtol: 1e-5, atol: 1e-6, message: kind });
    const expected = Array.from(pairs.first, (i, p) =>
      bruteForceDivergence(kind, rows[i], rows[pairs.second[p]]),
    );
    assertClose(batched, expected, { rtol: 1e-3, atol: 1e-5, message: `${kind} vs float64` });
  }
});

/** R(W, c) by brute force over h ∈ {0,1}³ in float64. */
function bruteForcePenalty(
  kind: DivergenceKind,
  W: number[][],
  c: number[],
  v: number[][],
  labels: number[],
): number {
  const pre = v.map((row) => c.map((ck, k) => ck + row.reduce((s, vi, i) => s + vi * W[i][k], 0)));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < v.length; i++) {
    for (let j = i + 1; j < v.length; j++) {
      if (labels[i] === labels[j]) continue;
      const d = bruteForceDivergence(kind, pre[i], pre[j]);
      sum += kind === 'bhattacharyya' ? d : -d;
      count++;
    }
  }
  return sum / count;
}

test('the generative DR gradient matches finite differences of the brute-force penalty', () => {
  const rng = new Random(3);
  const W = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal()));
  const c = [0.2, -0.4, 0.1];
  const v = [
    [1, 0, 1, 0],
    [0, 1, 1, 0],
    [1, 1, 0, 1],
    [0, 0, 1, 1],
    [1, 0, 0, 1],
  ];
  const labels = [0, 1, 0, 2, 1];
  const rbm = new Rbm(tf.tensor2d(W), tf.zeros([4]), tf.tensor1d(c));
  const vTensor = tf.tensor2d(v);
  const h = 1e-6;
  for (const kind of DIVERGENCES) {
    const grads = generativeDrGradients(rbm, vTensor, labels, { divergence: kind, lambda: 1 });
    assertClose(grads.value.dataSync()[0], bruteForcePenalty(kind, W, c, v, labels), {
      rtol: 1e-4,
      atol: 1e-6,
      message: `${kind} value`,
    });
    const numericW = W.flatMap((row, i) =>
      row.map((_, k) => {
        const shifted = (d: number) =>
          W.map((r, a) => r.map((x, b) => (a === i && b === k ? x + d : x)));
        return (
          (bruteForcePenalty(kind, shifted(h), c, v, labels) -
            bruteForcePenalty(kind, shifted(-h), c, v, labels)) /
          (2 * h)
        );
      }),
    );
    const numericC = c.map((_, k) => {
      const shifted = (d: number) => c.map((x, b) => (b === k ? x + d : x));
      return (
        (bruteForcePenalty(kind, W, shifted(h), v, labels) -
          bruteForcePenalty(kind, W, shifted(-h), v, labels)) /
        (2 * h)
      );
    });
    assertClose(grads.weights.dataSync(), numericW, {
      atol: 1e-5,
      rtol: 1e-3,
      message: `${kind} ∂R/∂W`,
    });
    assertClose(grads.hiddenBias.dataSync(), numericC, {
      atol: 1e-5,
      rtol: 1e-3,
      message: `${kind} ∂R/∂c`,
    });
    tf.dispose([grads.value, grads.weights, grads.hiddenBias]);
  }
  // One class in the batch: no pairs, penalty 0 (not NaN).
  assert.equal(
    tf.tidy(() => generativeDrPenalty(rbm, vTensor, [1, 1, 1, 1, 1], { lambda: 1 }).dataSync()[0]),
    0,
  );
  rbm.dispose();
  vTensor.dispose();
});

test('free energy matches −log Σ_h e^{−E(v,h)} by enumeration', () => {
  const W = [
    [0.5, -0.3, 1.0],
    [0.2, 0.8, -0.6],
  ];
  const b = [0.1, -0.2];
  const c = [0.05, -0.1, 0.3];
  const rbm = new Rbm(tf.tensor2d(W), tf.tensor1d(b), tf.tensor1d(c));
  const vs = [
    [1, 0],
    [1, 1],
  ];
  const energy = (v: number[], h: number[]) =>
    -v.reduce((s, vi, i) => s + vi * h.reduce((t, hk, k) => t + W[i][k] * hk, 0) + b[i] * vi, 0) -
    h.reduce((s, hk, k) => s + c[k] * hk, 0);
  const expected = vs.map(
    (v) => -Math.log(HIDDEN_STATES.reduce((s, h) => s + Math.exp(-energy(v, h)), 0)),
  );
  const value = tf.tidy(() => rbm.freeEnergy(tf.tensor2d(vs)).dataSync()[0]);
  assertClose(value, (expected[0] + expected[1]) / 2, { rtol: 1e-5 });
  rbm.dispose();
});

test('CD-1 on a tiny RBM matches a hand computation with fixed uniform draws', () => {
  const W = [
    [0.5, -0.3],
    [0.2, 0.8],
    [-0.4, 0.1],
  ];
  const b = [0.1, -0.2, 0.0];
  const c = [0.05, -0.1];
  const v0 = [
    [1, 0, 1],
    [0, 1, 1],
  ];
  // Draw order: hidden sample of the positive phase [2, 2], then the visible sample [2, 3].
  const draws = [
    [
      [0.3, 0.9],
      [0.7, 0.2],
    ],
    [
      [0.6, 0.2, 0.5],
      [0.1, 0.95, 0.4],
    ],
  ];
  let next = 0;
  const uniform = (shape: number[]) => {
    const values = draws[next++];
    assert.deepEqual(shape, [values.length, values[0].length]);
    return tf.tensor2d(values);
  };
  const lr = 0.5;
  // By hand, sample by sample.
  const hiddenMean = (v: number[]) =>
    c.map((ck, k) => sigmoid(ck + v.reduce((s, vi, i) => s + vi * W[i][k], 0)));
  const p0 = v0.map(hiddenMean);
  const h0 = p0.map((row, n) => row.map((p, k): number => (draws[0][n][k] < p ? 1 : 0)));
  const pv = h0.map((h) =>
    b.map((bi, i) => sigmoid(bi + h.reduce((s, hk, k) => s + hk * W[i][k], 0))),
  );
  const v1 = pv.map((row, n) => row.map((p, i): number => (draws[1][n][i] < p ? 1 : 0)));
  const p1 = v1.map(hiddenMean);
  const expectedW = W.map((row, i) =>
    row.map(
      (w, k) =>
        w +
        (lr / 2) *
          (v0[0][i] * p0[0][k] + v0[1][i] * p0[1][k] - v1[0][i] * p1[0][k] - v1[1][i] * p1[1][k]),
    ),
  );
  const expectedB = b.map((bi, i) => bi + (lr / 2) * (v0[0][i] + v0[1][i] - v1[0][i] - v1[1][i]));
  const expectedC = c.map((ck, k) => ck + (lr / 2) * (p0[0][k] + p0[1][k] - p1[0][k] - p1[1][k]));

  const rbm = new Rbm(tf.tensor2d(W), tf.tensor1d(b), tf.tensor1d(c));
  const v = tf.tensor2d(v0);
  cdStep(rbm, v, { lr, uniform });
  assert.equal(next, 2, 'CD-1 draws exactly two uniform tensors');
  const after = rbm.read();
  assertClose(after.weights, expectedW.flat(), { atol: 1e-6 });
  assertClose(after.visibleBias, expectedB, { atol: 1e-6 });
  assertClose(after.hiddenBias, expectedC, { atol: 1e-6 });
  rbm.dispose();
  v.dispose();
});

test('the DR part of a CD step is −ε·λ·∂R/∂(W, c), learning rate included (finite differences of the brute-force penalty)', () => {
  const rng = new Random(8);
  const W = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal()));
  const b = [0.1, -0.2, 0.05, 0.0];
  const c = [0.3, -0.1, 0.2];
  const v = [
    [1, 0, 1, 1],
    [0, 1, 1, 0],
    [1, 1, 0, 0],
    [0, 0, 1, 1],
  ];
  const labels = [0, 1, 0, 2];
  // ε and λ both ≠ 1 and ελ ≠ λ, so a dropped, doubled or misplaced ε changes the step.
  const lr = 0.3;
  const lambda = 2;
  const step = (dr?: { divergence: DivergenceKind; lambda: number }) => {
    const rbm = new Rbm(tf.tensor2d(W), tf.tensor1d(b), tf.tensor1d(c));
    const vTensor = tf.tensor2d(v);
    // The same Bernoulli draws in both runs: DR draws no uniform numbers.
    const result = cdStep(rbm, vTensor, { lr, uniform: uniformFrom(new Random(9)), dr }, labels);
    result.drPenalty?.dispose();
    const after = rbm.read();
    rbm.dispose();
    vTensor.dispose();
    return after;
  };
  const plain = step();
  const h = 1e-6;
  for (const kind of DIVERGENCES) {
    const withDr = step({ divergence: kind, lambda });
    const penalty = (w: number[][], cc: number[]) => bruteForcePenalty(kind, w, cc, v, labels);
    const dW = W.flatMap((row, i) =>
      row.map((_, k) => {
        const shifted = (d: number) =>
          W.map((r, a) => r.map((x, j) => (a === i && j === k ? x + d : x)));
        return (penalty(shifted(h), c) - penalty(shifted(-h), c)) / (2 * h);
      }),
    );
    const dc = c.map((_, k) => {
      const shifted = (d: number) => c.map((x, j) => (j === k ? x + d : x));
      return (penalty(W, shifted(h)) - penalty(W, shifted(-h))) / (2 * h);
    });
    const drStepW = Array.from(withDr.weights, (x, i) => x - plain.weights[i]);
    const drStepC = Array.from(withDr.hiddenBias, (x, i) => x - plain.hiddenBias[i]);
    assert.ok(
      Math.max(...dW.map(Math.abs)) * lr * lambda > 1e-2,
      `${kind}: the DR step is large enough to see`,
    );
    assertClose(
      drStepW,
      dW.map((g) => -lr * lambda * g),
      { atol: 2e-5, rtol: 1e-3, message: `${kind} W step` },
    );
    assertClose(
      drStepC,
      dc.map((g) => -lr * lambda * g),
      { atol: 2e-5, rtol: 1e-3, message: `${kind} c step` },
    );
    assert.deepEqual(withDr.visibleBias, plain.visibleBias, `${kind}: DR leaves b alone`);
  }
});

/** Binary-ish 3-class data: class k lights the pixels p ≡ k (mod 3) more often. */
function toyData(n: number, seed: number): Dataset {
  const rng = new Random(seed);
  const x = new Float32Array(n * 12);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 12; p++)
      x[i * 12 + p] = rng.uniform() < (p % 3 === labels[i] ? 0.8 : 0.2) ? 1 : 0;
  }
  return makeDataset({ name: 'toy', x, labels, sampleShape: [12], numClasses: 3 });
}

test('λ = 0 reproduces plain CD exactly under the same seed; λ > 0 lowers the between-class coefficient', () => {
  const data = toyData(30, 1);
  const options = { hidden: 5, epochs: 3, batchSize: 10, lr: 0.1 };
  const plain = trainRbm(data, { ...options, rng: new Random(4) });
  const zero = trainRbm(data, {
    ...options,
    rng: new Random(4),
    dr: { divergence: 'bhattacharyya', lambda: 0 },
  });
  const withDr = trainRbm(data, {
    ...options,
    rng: new Random(4),
    dr: { divergence: 'bhattacharyya', lambda: 5 },
  });
  assert.deepEqual(zero.rbm.read(), plain.rbm.read());
  assert.notDeepEqual(withDr.rbm.read(), plain.rbm.read());
  const coefficient = (rbm: Rbm) =>
    tf.tidy(
      () =>
        generativeDrPenalty(rbm, tf.tensor2d(data.x, [30, 12]), data.labels, {
          lambda: 1,
          maxPairs: 10_000,
        }).dataSync()[0],
    );
  assert.ok(
    coefficient(withDr.rbm) < coefficient(plain.rbm),
    `BC with DR ${coefficient(withDr.rbm)} vs plain ${coefficient(plain.rbm)}`,
  );
  assert.ok(
    plain.history[2].reconstructionError < plain.history[0].reconstructionError + 1e-3,
    'CD should not raise the reconstruction error',
  );
  for (const run of [plain, zero, withDr]) run.rbm.dispose();
});

test('PCD and CD-k train without leaking tensors', async () => {
  const data = toyData(20, 2);
  await assertNoLeak(() =>
    trainRbm(data, {
      hidden: 4,
      epochs: 1,
      batchSize: 8,
      k: 2,
      persistent: true,
      rng: new Random(5),
      dr: { divergence: 'symmetric-kl', lambda: 0.1 },
    }).rbm.dispose(),
  );
  await assertNoLeak(() =>
    trainRbm(data, {
      hidden: 4,
      epochs: 1,
      batchSize: 8,
      k: 3,
      rng: new Random(5),
      dr: { divergence: 'hellinger', lambda: 0.1, maxPairs: 5 },
    }).rbm.dispose(),
  );
});

test('a DBN unrolls into a sigmoid MLP with the RBM weights, saves, loads and fine-tunes', async () => {
  const data = toyData(24, 3);
  const { rbms, history } = trainDbn(data, {
    layers: [6, 4],
    epochs: 2,
    batchSize: 8,
    rng: new Random(6),
    dr: { lambda: 0.01 },
  });
  assert.equal(history.length, 2);
  assert.equal(rbms[1].visibleUnits, 6);
  const model = unrollDbn(rbms, { inputShape: [12], numClasses: 3, rng: new Random(7) });
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['dense_1', 'dense_2', 'dense_3'],
  );
  const x = tf.tensor2d(data.x.subarray(0, 5 * 12), [5, 12]);
  const [fromModel, fromRbms] = tf.tidy(() => {
    const hidden = model.layers[1].apply(model.layers[0].apply(x)) as tf.Tensor;
    return [
      hidden.dataSync(),
      rbms[1].hiddenProbabilities(rbms[0].hiddenProbabilities(x)).dataSync(),
    ];
  });
  assertClose(fromModel, fromRbms, { atol: 1e-6 });
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-dbn-'));
  try {
    await saveUnrolled(model, dir);
    const loaded = await loadUnrolled(dir);
    const outputs = tf.tidy(() => [
      (model.predict(x) as tf.Tensor).dataSync(),
      (loaded.predict(x) as tf.Tensor).dataSync(),
    ]);
    assert.deepEqual(outputs[1], outputs[0]);
    const trainer = new Trainer({
      model: loaded,
      optimizer: tf.train.sgd(0.5),
      rng: new Random(8),
    });
    const metrics = await trainer.fit(data, { epochs: 2, batchSize: 8 });
    assert.ok(Number.isFinite(metrics[1].loss));
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  model.dispose();
  x.dispose();
  for (const rbm of rbms) rbm.dispose();
});
