/**
 * The projected error function f and the PER estimate: the issue's test vectors, f' = erf(x/√2),
 * exact sphere averages (numerical integration as the oracle), the fixed-directions example,
 * the sliced-W1 bound (Corollary 2) and seeded determinism.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../src/core/random.js';
import { erf, normalCdf } from '../../../src/core/special.js';
import { wasserstein1ToNormal } from '../../../src/analysis/stats.js';
import { slicedWasserstein1ToNormal } from '../../../src/monitors/activation-stats.js';
import { fillNormal } from '../../../src/core/fast-normal.js';
import {
  projectedError,
  projectedErrorFunction,
  projectedErrorLoss,
  projectedErrorScalar,
} from '../../../src/methods/per/projected-error.js';
import { assertClose, useBackend } from '../../support.js';

before(() => useBackend());

const SQRT_2_OVER_PI = 0.7978845608;
const F_VECTORS: [number, number][] = [
  [0, 0.7978845608],
  [0.5, 0.8955931148],
  [1, 1.1666309412],
  [-1, 1.1666309412],
  [2, 2.0169814052],
  [3, 3.0007643086],
];
const F_PRIME_VECTORS: [number, number][] = [
  [0.5, 0.3829249225],
  [1, 0.6826894921],
  [2, 0.9544997361],
];

const values = (t: tf.Tensor) => Array.from(t.dataSync());

test('f matches the test vectors (both implementations, and the float64 reference)', () => {
  const x = tf.tensor1d(F_VECTORS.map(([v]) => v));
  const expected = F_VECTORS.map(([, f]) => f);
  for (const f of [projectedErrorFunction, projectedError]) {
    const y = tf.tidy(() => f(x));
    assertClose(values(y), expected, { atol: 1e-5, rtol: 0 });
    y.dispose();
  }
  assertClose(
    F_VECTORS.map(([v]) => projectedErrorScalar(v)),
    expected,
    { atol: 1e-9, rtol: 0 },
  );
  x.dispose();
});

test("autodiff's gradient of f is erf(x/√2) (test vectors and random points)", () => {
  const rng = new Random(11);
  const points = [
    ...F_PRIME_VECTORS.map(([v]) => v),
    ...Array.from({ length: 20 }, () => 6 * rng.uniform() - 3),
  ];
  const expected = [
    ...F_PRIME_VECTORS.map(([, g]) => g),
    ...points.slice(F_PRIME_VECTORS.length).map((v) => erf(v / Math.SQRT2)),
  ];
  const x = tf.tensor1d(points);
  for (const f of [projectedErrorFunction, projectedError]) {
    const gradient = tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(f(input)))(x));
    assertClose(values(gradient), expected, { atol: 1e-5, rtol: 0 });
    gradient.dispose();
  }
  x.dispose();
});

/** L_per of a single row h on `slices` seeded random directions. */
function sampledPer(h: number[][], slices: number, seed: number): number {
  return tf.tidy(
    () =>
      projectedErrorLoss(
        tf.tensor2d(h),
        new Random(seed).unitDirections(h[0].length, slices),
      ).dataSync()[0],
  );
}

test('with d = 1 the loss is mean_i f(h_i) exactly (θ = ±1)', () => {
  const h = [[0.3], [-1.7], [2.5], [0]];
  const expected = h.reduce((s, [v]) => s + projectedErrorScalar(v), 0) / h.length;
  assertClose(sampledPer(h, 7, 1), expected, { atol: 1e-6, rtol: 1e-6 });
});

test('h = 0 gives √(2/π) for any d', () => {
  for (const d of [1, 5, 300]) {
    const zeros = [Array(d).fill(0), Array(d).fill(0)];
    assertClose(sampledPer(zeros, 16, d), SQRT_2_OVER_PI, {
      atol: 1e-6,
      rtol: 0,
      message: `d=${d}`,
    });
  }
});

/**
 * E_θ g(⟨θ, h⟩) for θ uniform on S^{d−1}: ⟨θ, h⟩ = ‖h‖cos φ with density ∝ sin^{d−2} φ on
 * [0, π]; Simpson's rule on 4000 intervals.
 */
function sphereAverage(h: number[], g: (x: number) => number): number {
  const norm = Math.hypot(...h);
  const d = h.length;
  const intervals = 4000;
  let weighted = 0;
  let total = 0;
  for (let i = 0; i <= intervals; i++) {
    const phi = (Math.PI * i) / intervals;
    const simpson = i === 0 || i === intervals ? 1 : i % 2 ? 4 : 2;
    const density = simpson * Math.sin(phi) ** (d - 2);
    weighted += density * g(norm * Math.cos(phi));
    total += density;
  }
  return weighted / total;
}

test('many seeded slices reproduce the exact sphere averages within the sampling error', () => {
  const cases: [number[], number][] = [
    [[3, 4], 3.2474418],
    [[1, 0, 0], 0.9246602],
    [[2, 0], 1.4466442],
    [[1, 1, 1, 1], 1.1435998],
    [Array(10).fill(1), 1.13507],
    [Array(100).fill(1), 1.12908],
  ];
  const slices = 20000;
  cases.forEach(([h, published], k) => {
    const exact = sphereAverage(h, projectedErrorScalar);
    // The oracle agrees with the published value to its printed digits.
    assertClose(exact, published, { atol: 6e-6, rtol: 0, message: `oracle [${h}]` });
    const sd = Math.sqrt(sphereAverage(h, (x) => projectedErrorScalar(x) ** 2) - exact ** 2);
    const tolerance = 4 * (sd / Math.sqrt(slices)) + 1e-5; // 4 standard errors + float32 rounding
    const estimate = sampledPer([h], slices, 100 + k);
    assert.ok(
      Math.abs(estimate - exact) <= tolerance,
      `[${h}]: ${estimate} vs ${exact} ± ${tolerance}`,
    );
  });
});

test('the fixed-directions example: PER = 1.12069, sliced W1 = 0.56042', () => {
  const h = tf.tensor2d([
    [0.5, -1],
    [2, 0.3],
    [-0.7, 0.1],
  ]);
  const directions = tf.tensor2d([
    [1, 0, Math.SQRT1_2],
    [0, 1, Math.SQRT1_2],
  ]);
  const perValue = tf.tidy(() => projectedErrorLoss(h, directions).dataSync()[0]);
  assertClose(perValue, 1.12069, { atol: 5e-6, rtol: 0 });
  assertClose(slicedWasserstein1ToNormal(h, directions), 0.56042, { atol: 5e-6, rtol: 0 });
  tf.dispose([h, directions]);
});

test('W1 of a point mass x to N(0, 1) is f(x) (the coupling bound is tight for one sample)', () => {
  for (const x of [0, 0.5, -2, 3])
    assertClose(wasserstein1ToNormal([x]), projectedErrorScalar(x), { atol: 1e-9, rtol: 0 });
  // n exact quantiles of N(0, 1) are close to N(0, 1) itself.
  assert.ok(
    wasserstein1ToNormal(Array.from({ length: 999 }, (_, i) => normalQuantileMid(i, 999))) < 5e-3,
  );
});

/** Midpoint quantile Φ⁻¹((i + ½)/n) by bisection on the float64 CDF (independent of normalQuantile). */
function normalQuantileMid(i: number, n: number): number {
  const p = (i + 0.5) / n;
  let lo = -10;
  let hi = 10;
  for (let k = 0; k < 80; k++) {
    const mid = (lo + hi) / 2;
    if (0.5 * (1 + erf(mid / Math.SQRT2)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

test('L_per ≥ sliced W1 on any fixed set of directions (random cases)', () => {
  const rng = new Random(21);
  for (let c = 0; c < 25; c++) {
    const b = 1 + rng.int(20);
    const d = 1 + rng.int(8);
    const scale = [0.1, 1, 4][c % 3];
    const shift = rng.normal();
    const h = tf.tensor2d(
      Float32Array.from({ length: b * d }, () => shift + scale * rng.normal()),
      [b, d],
    );
    const directions = rng.unitDirections(d, 1 + rng.int(6));
    const perValue = tf.tidy(() => projectedErrorLoss(h, directions).dataSync()[0]);
    const w1 = slicedWasserstein1ToNormal(h, directions);
    assert.ok(perValue >= w1 - 1e-5, `case ${c} (b=${b}, d=${d}): PER ${perValue} < SW1 ${w1}`);
    tf.dispose([h, directions]);
  }
});

test('the same seed gives the same directions and loss; another seed does not', () => {
  const h = [
    [0.2, -1.1, 0.7],
    [1.5, 0.3, -0.4],
  ];
  assert.equal(sampledPer(h, 32, 5), sampledPer(h, 32, 5));
  assert.notEqual(sampledPer(h, 32, 5), sampledPer(h, 32, 6));
  const norms = tf.tidy(() => values(tf.norm(new Random(1).unitDirections(7, 9), 'euclidean', 0)));
  assertClose(norms, Array(9).fill(1), { atol: 1e-6 });
});

test('fast seeded normals (ziggurat): the CDF of N(0, 1) at body, wedge and tail points', () => {
  const n = 400_000;
  const draws = new Float32Array(n);
  fillNormal(draws, 17);
  for (const cut of [-3.6, -3, -2, -1, -0.3, 0, 0.5, 1.5, 2.5, 3.3, 3.5]) {
    let below = 0;
    for (let i = 0; i < n; i++) if (draws[i] <= cut) below++;
    const p = normalCdf(cut);
    const z = (below / n - p) / Math.sqrt((p * (1 - p)) / n);
    assert.ok(
      Math.abs(z) < 4.5,
      `P(z ≤ ${cut}) = ${below / n} vs ${p} (${z.toFixed(2)} standard errors)`,
    );
  }
});

test('fast seeded normals: moments of N(0, 1), same seed same draws', () => {
  const [mean, variance, skew, kurtosis] = tf.tidy(() => {
    const v = new Random(8).fastNormalTensor([400, 500]);
    const m = tf.mean(v);
    const c = tf.sub(v, m);
    const varianceValue = tf.mean(tf.square(c));
    return [
      m,
      varianceValue,
      tf.mean(tf.pow(c, 3)),
      tf.div(tf.mean(tf.pow(c, 4)), tf.square(varianceValue)),
    ].map((t) => t.dataSync()[0]);
  });
  // 200,000 draws: standard errors 0.0022 (mean), 0.0032 (variance), 0.0055 (skew), 0.011 (kurtosis).
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.015, `variance ${variance}`);
  assert.ok(Math.abs(skew) < 0.025, `skew ${skew}`);
  assert.ok(Math.abs(kurtosis - 3) < 0.05, `kurtosis ${kurtosis}`);
  const draw = (seed: number) =>
    tf.tidy(() => Array.from(new Random(seed).fastNormalTensor([3, 4]).dataSync()));
  assert.deepEqual(draw(2), draw(2));
  assert.notDeepEqual(draw(2), draw(3));
});
