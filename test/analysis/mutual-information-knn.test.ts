/**
 * Tests of the k-nearest-neighbour estimators (KSG for I(X;T), Ross's mixed estimator for
 * I(T;Y)) and of binning on principal components, against known answers: Gaussians with known
 * correlation, independent variables, Gaussian mixtures whose I(T;Y) is integrated numerically,
 * exact invariances, brute-force neighbour counts and a lattice whose bin patterns are counted by
 * hand. Tolerances are ≈ 3 standard deviations of the estimate over seeds (measured, see each).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { assertClose, assertNoLeak, useBackend } from '../support.js';
import { Random } from '../../src/core/random.js';
import { ReglabError } from '../../src/core/errors.js';
import {
  digammaTable,
  discreteMutualInformation,
  entropyOfLabels,
  ksgCounts,
  ksgMutualInformation,
  layerwiseMutualInformation,
  mixedCounts,
  mixedMutualInformation,
  mutualInformation,
  principalScores,
  withDistances,
} from '../../src/analysis/mutual-information/index.js';

before(() => useBackend());

const EULER_GAMMA = 0.5772156649015329;

/** n × d pairs (x, y) with corr(x_c, y_c) = ρ for every coordinate c, all else independent. */
function correlatedGaussians(random: Random, n: number, d: number, rho: number) {
  const x = new Float32Array(n * d);
  const y = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) {
    const a = random.normal();
    x[i] = a;
    y[i] = rho * a + Math.sqrt(1 - rho * rho) * random.normal();
  }
  return { x, y };
}

/** The true I(X;Y) in nats of {@link correlatedGaussians}: −½ Σ_c log(1 − ρ²). */
const gaussianTruth = (d: number, rho: number) => -0.5 * d * Math.log1p(-rho * rho);

/** KSG estimate, in nats, between two flat n × d arrays. */
function ksg(x: Float32Array, dx: number, y: Float32Array, dy: number, k = 3): number {
  const n = x.length / dx;
  const xs = tf.tensor2d(x, [n, dx]);
  const ys = tf.tensor2d(y, [n, dy]);
  const value = withDistances(xs, (a) => withDistances(ys, (b) => ksgMutualInformation(a, b, k)));
  tf.dispose([xs, ys]);
  return value;
}

/** Ross estimate, in nats, of a flat n × d array against labels. */
function ross(t: Float32Array, d: number, labels: Int32Array, k = 3): number {
  const ts = tf.tensor2d(t, [labels.length, d]);
  const value = withDistances(ts, (distances) => mixedMutualInformation(distances, labels, k));
  ts.dispose();
  return value;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b) / values.length;

describe('ψ at the integers', () => {
  it('ψ(1) = −γ, ψ(2) = 1 − γ, ψ(10) and ψ(1000) against tabulated / asymptotic values', () => {
    const psi = digammaTable(1000);
    assertClose(psi[1], -EULER_GAMMA, { atol: 1e-15 });
    assertClose(psi[2], 1 - EULER_GAMMA, { atol: 1e-15 });
    assertClose(psi[10], 2.251752589066721, { atol: 1e-13 }); // Abramowitz & Stegun 6.3.2
    const x = 1000; // ψ(x) = ln x − 1/(2x) − 1/(12x²) + 1/(120x⁴) − …
    assertClose(psi[x], Math.log(x) - 1 / (2 * x) - 1 / (12 * x * x), { atol: 1e-12 });
  });
});

/**
 * Brute-force KSG / Ross quantities in float64: every pair's distance, after the same centring and
 * scaling to total variance 1 (mean squared distance to the centroid 1).
 */
function bruteSquaredDistances(values: Float32Array, n: number, d: number): Float64Array[] {
  const meanOf = Array.from({ length: d }, (_, c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[i * d + c];
    return s / n;
  });
  let variance = 0;
  for (let i = 0; i < n * d; i++) variance += (values[i] - meanOf[i % d]) ** 2;
  const scale = 1 / Math.sqrt(variance / n);
  return Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += ((values[i * d + c] - values[j * d + c]) * scale) ** 2;
      return s;
    }),
  );
}

describe('neighbour counts equal a brute-force float64 count', () => {
  // [n, k, d_x, d_t]: both distance paths (direct float64 for d ≤ 16, the matMul expansion
  // above), and two row blocks of the distance matrix at n = 2100 (1997 + 103 rows).
  for (const [n, k, dx, dt] of [
    [60, 1, 3, 2],
    [60, 4, 3, 2],
    [300, 3, 20, 40],
    [2100, 3, 20, 2],
  ]) {
    it(`KSG: ε, n_x, n_t for n = ${n}, k = ${k}, d = ${dx} and ${dt}`, () => {
      const random = new Random(20 + n + k);
      const x = Float32Array.from({ length: n * dx }, () => random.normal());
      const t = Float32Array.from({ length: n * dt }, () => random.normal() * 5 + 1);
      const distX = bruteSquaredDistances(x, n, dx);
      const distT = bruteSquaredDistances(t, n, dt);
      const xs = tf.tensor2d(x, [n, dx]);
      const ts = tf.tensor2d(t, [n, dt]);
      const counts = withDistances(xs, (a) => withDistances(ts, (b) => ksgCounts(a, b, k)));
      tf.dispose([xs, ts]);
      let mismatches = 0;
      for (let i = 0; i < n; i++) {
        const joint = distX[i].map((v, j) => Math.max(v, distT[i][j])).filter((_, j) => j !== i);
        const eps = joint.sort()[k - 1];
        const nx = distX[i].filter((v, j) => j !== i && v < eps).length;
        const nt = distT[i].filter((v, j) => j !== i && v < eps).length;
        assertClose(counts.epsilon[i], eps, { rtol: 1e-4, atol: 1e-6 });
        if (counts.nx[i] !== nx || counts.nt[i] !== nt) mismatches++;
      }
      // float32 distances may flip a near-tie: allow one in a thousand rows, none for small n.
      assert.ok(mismatches <= n / 1000, `${mismatches} rows with other counts`);
    });
  }

  it('Ross: k-th same-class radius and m, with a one-sample class left out', () => {
    const n = 80;
    const random = new Random(31);
    const t = Float32Array.from({ length: n * 2 }, () => random.normal());
    const labels = Int32Array.from({ length: n }, (_, i) => (i === 7 ? 9 : i % 3 === 0 ? 0 : 1));
    labels[1] = 2; // class 2 has two samples: k = 1 for them
    labels[4] = 2;
    const d = bruteSquaredDistances(t, n, 2);
    const ts = tf.tensor2d(t, [n, 2]);
    const counts = withDistances(ts, (distances) => mixedCounts(distances, labels, 3));
    ts.dispose();
    for (let i = 0; i < n; i++) {
      if (i === 7) {
        assert.equal(counts.used[i], 0);
        continue;
      }
      const same = [...d[i]]
        .filter((_, j) => j !== i && labels[j] === labels[i])
        .sort((p, q) => p - q);
      const k = Math.min(3, same.length);
      const radius = same[k - 1];
      const m = [...d[i]].filter((v, j) => j !== i && j !== 7 && v <= radius).length;
      assert.equal(counts.neighbours[i], k);
      assertClose(counts.radius[i], radius, { rtol: 1e-4, atol: 1e-6 });
      assert.equal(counts.m[i], m, `row ${i}`);
    }
  });
});

describe('KSG on Gaussians with known correlation: I = −½ Σ log(1 − ρ²)', () => {
  // Mean of 4 seeds at N = 1000. The per-seed sd is 0.02–0.04 nats (measured over 10 seeds), so
  // the mean's is ≤ 0.02; 0.06 allows the estimator's small positive bias at ρ = 0.9 (+0.03).
  for (const [d, rho] of [
    [1, 0.5],
    [1, 0.9],
    [2, 0.6],
  ]) {
    it(`d = ${d} per variable, ρ = ${rho}: truth ${gaussianTruth(d, rho).toFixed(3)} nats`, () => {
      const random = new Random(40 + d * 10 + rho);
      const estimates = Array.from({ length: 4 }, () => {
        const { x, y } = correlatedGaussians(random, 1000, d, rho);
        return ksg(x, d, y, d);
      });
      assertClose(mean(estimates), gaussianTruth(d, rho), { atol: 0.06, rtol: 0 });
    });
  }

  it('independent variables: ≈ 0', () => {
    // per-seed sd 0.026 nats at N = 1000 (measured): the mean of 4 has sd 0.013.
    const random = new Random(50);
    const estimates = Array.from({ length: 4 }, () => {
      const { x, y } = correlatedGaussians(random, 1000, 2, 0);
      return ksg(x, 2, y, 2);
    });
    assertClose(mean(estimates), 0, { atol: 0.04, rtol: 0 });
  });

  it('is exactly invariant to scaling, translating and rotating either variable', () => {
    const random = new Random(51);
    const n = 500;
    const { x, y } = correlatedGaussians(random, n, 2, 0.7);
    const [c, s] = [Math.cos(0.9), Math.sin(0.9)];
    const moved = Float32Array.from(y, (_, i) => {
      const [a, b] = [y[2 * Math.floor(i / 2)], y[2 * Math.floor(i / 2) + 1]];
      return 7 * (i % 2 === 0 ? c * a - s * b : s * a + c * b) + 3;
    });
    const scaledX = Float32Array.from(x, (v) => 0.01 * v - 5);
    assertClose(ksg(scaledX, 2, moved, 2), ksg(x, 2, y, 2), { atol: 2e-3, rtol: 0 });
  });

  it('invertible per-coordinate transforms keep the true MI, and the estimate stays near it', () => {
    // MI is invariant under x ↦ f(x), y ↦ g(y) for invertible f, g; KSG only approximately
    // (its bias depends on the densities). Measured over 10 seeds at N = 1000, ρ = 0.8: the
    // transformed estimates are 0.50 ± 0.03 against the truth 0.51.
    const random = new Random(52);
    const { x, y } = correlatedGaussians(random, 1000, 1, 0.8);
    const fx = Float32Array.from(x, (v) => v ** 3 + v);
    const gy = Float32Array.from(y, (v) => Math.exp(v));
    const truth = gaussianTruth(1, 0.8);
    assertClose(ksg(fx, 1, gy, 1), truth, { atol: 0.1, rtol: 0 });
    assertClose(ksg(fx, 1, gy, 1), ksg(x, 1, y, 1), { atol: 0.1, rtol: 0 });
  });

  it('never exceeds ψ(N) − ψ(k): a copy of X reaches it', () => {
    const random = new Random(53);
    const x = Float32Array.from({ length: 300 }, () => random.normal());
    const psi = digammaTable(300);
    assertClose(ksg(x, 1, x, 1), psi[300] - psi[3], { atol: 1e-9 });
  });
});

/** I(T;Y) in nats for Y uniform over the classes and T | y ~ N(μ_y, 1), by the trapezoid rule. */
function mixtureTruth(means: readonly number[]): number {
  const phi = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  const [lo, hi, step] = [Math.min(...means) - 12, Math.max(...means) + 12, 1e-3];
  let total = 0;
  for (let t = lo; t <= hi; t += step) {
    const parts = means.map((m) => phi(t - m) / means.length);
    const p = parts.reduce((a, b) => a + b);
    for (const q of parts) if (q > 0) total += step * q * Math.log((q * means.length) / p);
  }
  return total;
}

describe('Ross’s mixed estimator on Gaussian mixtures with labels', () => {
  /** N samples of the mixture, Y uniform over `means`. */
  function mixture(random: Random, n: number, means: readonly number[]) {
    const labels = Int32Array.from({ length: n }, () => random.int(means.length));
    return { labels, t: Float32Array.from(labels, (y) => means[y] + random.normal()) };
  }

  for (const means of [
    [-1, 1],
    [-1.5, 0, 1.5],
  ]) {
    it(`means ${JSON.stringify(means)}: the numerically integrated I(T;Y)`, () => {
      // Mean of 3 seeds at N = 1000; per-seed sd 0.015–0.022 nats, bias +0.016 (10 seeds).
      const random = new Random(60 + means.length);
      const estimates = Array.from({ length: 3 }, () => {
        const { t, labels } = mixture(random, 1000, means);
        return ross(t, 1, labels);
      });
      assertClose(mean(estimates), mixtureTruth(means), { atol: 0.05, rtol: 0 });
    });
  }

  it('labels independent of T: ≈ 0', () => {
    // per-seed sd 0.011 nats at N = 1000 (measured): the mean of 3 has sd 0.006.
    const random = new Random(63);
    const estimates = Array.from({ length: 3 }, () => {
      const { t, labels } = mixture(random, 1000, [0, 0, 0]);
      return ross(t, 1, labels);
    });
    assertClose(mean(estimates), 0, { atol: 0.02, rtol: 0 });
  });

  it('a one-sample class is left out: the estimate equals that of the other samples alone', () => {
    const random = new Random(65);
    const { t, labels } = mixture(random, 400, [-1, 1]);
    const withSingleton = Int32Array.from(labels, (y, i) => (i === 0 ? 5 : y));
    const rest = ross(t.subarray(1), 1, labels.subarray(1));
    assertClose(ross(t, 1, withSingleton), rest, { atol: 1e-12 });
  });

  it('a discrete T (ties at distance 0): the plug-in I(T;Y), as Gao et al.’s k̃ makes it', () => {
    // T takes 3 values, Y depends on it; every point's k-th same-class neighbour is at 0. With
    // k̃ = its same-class ties, ψ(k̃) − ψ(m) → log(n_{t,y}/n_t): the plug-in estimate up to
    // O(1/n_{t,y}) (ψ(x) − log x ≈ −1/(2x)); with k = 3 kept it would be far below. The same
    // three values embedded in 32 dimensions check that the matMul path makes exact ties.
    const random = new Random(66);
    const n = 3000;
    const atoms = Int32Array.from({ length: n }, () => random.int(3));
    const labels = Int32Array.from(atoms, (v) => (random.uniform() < 0.7 ? v : random.int(3)));
    const plugIn = discreteMutualInformation(atoms, labels);
    assertClose(ross(Float32Array.from(atoms), 1, labels), plugIn, { atol: 5e-3, rtol: 0 });
    const codes = Array.from({ length: 3 }, () =>
      Float32Array.from({ length: 32 }, () => random.normal()),
    );
    const wide = new Float32Array(n * 32);
    atoms.forEach((a, i) => wide.set(codes[a], i * 32));
    assertClose(ross(wide, 32, labels), plugIn, { atol: 5e-3, rtol: 0 });
  });

  it('well-separated classes, one of two samples: exactly ψ(N) − ⟨ψ(N_y)⟩, near H(Y)', () => {
    // Every point's neighbours within d_i are its own class's k_i nearest, so m_i = k_i and the
    // ψ(k_i) − ψ(m_i) terms cancel — for the class of two samples too, where k_i = 1.
    const random = new Random(64);
    const { t, labels } = mixture(random, 600, [0, 30, 60, 90]);
    labels[0] = 4;
    labels[1] = 4;
    t[0] = 200;
    t[1] = 200.5;
    const psi = digammaTable(600);
    const sizes = [0, 1, 2, 3, 4].map((c) => labels.filter((y) => y === c).length);
    const expected = psi[600] - mean(Array.from(labels, (y) => psi[sizes[y]]));
    const estimate = ross(t, 1, labels);
    assertClose(estimate, expected, { atol: 1e-12 });
    assertClose(estimate, entropyOfLabels(labels, 'nats'), { atol: 5 / (2 * 600), rtol: 0 });
  });
});

describe('binning on principal components', () => {
  /** A random orthonormal d × 2 embedding (Gram–Schmidt of two normal columns). */
  function plane(random: Random, d: number): Float64Array[] {
    const a = Float64Array.from({ length: d }, () => random.normal());
    const b = Float64Array.from({ length: d }, () => random.normal());
    const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, ui, i) => s + ui * v[i], 0);
    const na = Math.sqrt(dot(a, a));
    a.forEach((v, i) => (a[i] = v / na));
    const ab = dot(a, b);
    b.forEach((v, i) => (b[i] = v - ab * a[i]));
    const nb = Math.sqrt(dot(b, b));
    b.forEach((v, i) => (b[i] = v / nb));
    return [a, b];
  }

  // A 4 × 2 lattice (spacing 3 along u, 1 along v), every point 8 times, embedded in 64 dims.
  // The sample covariance of a full lattice is diagonal in (u, v) with variances 11.25 and 0.25,
  // so the principal components are u and v exactly.
  const n = 64;
  const lattice = Array.from({ length: n }, (_, i) => [3 * (i % 4), Math.floor(i / 4) % 2]);
  const labels = Int32Array.from(lattice, ([u]) => u / 3); // Y = the u index: 4 classes
  const [a, b] = plane(new Random(70), 64);
  const embedded = new Float32Array(n * 64);
  lattice.forEach(([u, v], i) => {
    for (let c = 0; c < 64; c++) embedded[i * 64 + c] = u * a[c] + v * b[c] + 0.5;
  });

  it('the scores are the lattice coordinates, centred, up to sign', () => {
    const h = tf.tensor2d(embedded, [n, 64]);
    const scores = principalScores(h, 2);
    h.dispose();
    lattice.forEach(([u, v], i) => {
      assertClose(Math.abs(scores[2 * i]), Math.abs(u - 4.5), { atol: 1e-4 });
      assertClose(Math.abs(scores[2 * i + 1]), Math.abs(v - 0.5), { atol: 1e-4 });
    });
  });

  it('full-rank data: the top scores equal an exact eigendecomposition of the covariance', () => {
    // 100 coordinates, sd 3 and 2.5 for two of them and 1 for the rest, so the spectrum has a
    // long flat tail that a range finder without power iterations does not separate.
    const [rows, width] = [400, 100];
    const random = new Random(72);
    const values = Float32Array.from({ length: rows * width }, (_, i) => {
      const sd = i % width === 0 ? 3 : i % width === 1 ? 2.5 : 1;
      return sd * random.normal();
    });
    const data = new Matrix(rows, width);
    for (let i = 0; i < rows; i++)
      for (let c = 0; c < width; c++) data.set(i, c, values[i * width + c]);
    const centred = data.subRowVector(data.mean('column'));
    const eigen = new EigenvalueDecomposition(centred.transpose().mmul(centred), {
      assumeSymmetric: true,
    });
    const order = eigen.realEigenvalues
      .map((lambda, k) => [lambda, k])
      .sort((p, q) => q[0] - p[0])
      .map(([, k]) => k);
    const h = tf.tensor2d(values, [rows, width]);
    const scores = principalScores(h, 2);
    h.dispose();
    for (const c of [0, 1]) {
      const exact = centred.mmul(eigen.eigenvectorMatrix.subMatrixColumn([order[c]])).getColumn(0);
      const sign = Math.sign(exact.reduce((s, v, i) => s + v * scores[2 * i + c], 0));
      const error = Math.max(...exact.map((v, i) => Math.abs(sign * v - scores[2 * i + c])));
      assert.ok(error < 1e-2, `component ${c}: max |score − exact| = ${error}`);
    }
  });

  it('quantile bins count the lattice cells: 8 cells → 3 bits, 2 bins per axis → 2 bits', () => {
    const fine = mutualInformation(embedded, labels, {
      project: 2,
      bins: 4,
      binRange: 'quantile',
    });
    assertClose([fine.ixt, fine.ity], [3, 2], { atol: 1e-9 });
    // 2 bins merge u ∈ {0, 3} and {6, 9}: 4 equal cells; I(T;Y) = H(Y) − H(Y|T) = 2 − 1.
    const coarse = mutualInformation(embedded, labels, {
      project: 2,
      bins: 2,
      binRange: 'quantile',
    });
    assertClose([coarse.ixt, coarse.ity], [2, 1], { atol: 1e-9 });
  });

  it('does not saturate on a wide layer where binning every unit does', () => {
    const random = new Random(71);
    const [rows, width] = [2000, 256];
    const t = Float32Array.from({ length: rows * width }, () => random.normal());
    const y = Int32Array.from({ length: rows }, () => random.int(10));
    const everyUnit = mutualInformation(t, y, { bins: 30 });
    assertClose(everyUnit.ixt, Math.log2(rows), { atol: 1e-9 }); // every sample its own pattern
    const projected = mutualInformation(t, y, { bins: 30, project: 2 });
    assert.ok(projected.ixt < Math.log2(rows) - 1.5, `I(X;T) = ${projected.ixt}`);
    // Y is independent of T: the plug-in bias (K−1)(C−1)/(2n ln 2) with K ≤ 900 cells is ≤ 2.9
    // bits, far below H(Y) = 3.3 where every-unit binning sits.
    assert.ok(projected.ity < everyUnit.ity - 1, `I(T;Y) = ${projected.ity}`);
  });
});

describe('the kNN estimator through mutualInformation', () => {
  it('reads the inputs, works in bits, leaks no tensors, shares X across layers', async () => {
    const random = new Random(80);
    const n = 300;
    const { x, y } = correlatedGaussians(random, n, 1, 0.9);
    const labels = Int32Array.from(y, (v) => (v > 0 ? 1 : 0));
    const inputs = tf.tensor2d(x, [n, 1]);
    const options = { estimator: 'knn' as const, inputs };
    const bits = mutualInformation(y, labels, options);
    const nats = mutualInformation(y, labels, { ...options, units: 'nats' });
    assertClose([bits.ixt, bits.ity], [nats.ixt / Math.LN2, nats.ity / Math.LN2], { atol: 1e-12 });
    assertClose(nats.ixt, ksg(x, 1, y, 1), { atol: 1e-12 });
    const layers = layerwiseMutualInformation(
      [
        { name: 'a', activations: y },
        { name: 'b', activations: x },
      ],
      labels,
      options,
    );
    assert.deepEqual(layers[0], { name: 'a', ...bits });
    await assertNoLeak(() => mutualInformation(y, labels, options));
    inputs.dispose();
  });

  it('rejects a missing X, bad k and a bad projection with a ReglabError', () => {
    const t = new Float32Array(8);
    const labels = [0, 1, 0, 1];
    assert.throws(() => mutualInformation(t, labels, { estimator: 'knn' }), /needs the inputs/);
    assert.throws(
      () => mutualInformation(t, labels, { estimator: 'knn', inputs: t, neighbours: 4 }),
      ReglabError,
    );
    assert.throws(() => mutualInformation(t, labels, { project: 0 }), ReglabError);
  });
});
