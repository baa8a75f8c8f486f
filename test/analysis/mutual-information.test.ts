/**
 * Tests of the per-layer mutual-information estimators on cases with known answers: a
 * deterministic copy of a discrete X (I = H(X)), noise independent of Y (I ≈ its known bias) and a
 * Gaussian channel (against ½ log(1 + SNR) within the kernel bound's gap).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { assertClose, assertNoLeak, useBackend } from '../support.js';
import { Random } from '../../src/core/random.js';
import { ReglabError } from '../../src/core/errors.js';
import { forwardTrace } from '../../src/train/trace.js';
import {
  entropyOfLabels,
  layersFromTrace,
  layerwiseMutualInformation,
  mutualInformation,
  pairwiseKernelTerm,
  patternIds,
} from '../../src/analysis/mutual-information/index.js';

before(() => useBackend());

/** One-hot rows of the n distinct inputs 0..n−1: a deterministic copy of X. */
function oneHot(n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** n·d standard normal draws. */
function normals(random: Random, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => random.normal());
}

/** n labels uniform over `classes`. */
function uniformLabels(random: Random, n: number, classes: number): Int32Array {
  return Int32Array.from({ length: n }, () => random.int(classes));
}

const log2 = Math.log2;

describe('deterministic copy of a discrete X: I(X;T) = H(X) = log n, I(T;Y) = H(Y)', () => {
  const n = 64;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4); // T determines Y; H(Y) = 2 bits

  it('binning, one-hot T, over the fixed sigmoid range, the batch range and quantiles', () => {
    for (const options of [
      { activation: 'sigmoid' },
      { binRange: 'batch' as const },
      { binRange: 'quantile' as const },
    ]) {
      const mi = mutualInformation(oneHot(n), labels, { estimator: 'binning', ...options });
      assertClose([mi.ixt, mi.ity], [log2(n), 2], {
        atol: 1e-12,
        message: JSON.stringify(options),
      });
    }
  });

  it('binning, distinct scalar values of X, one per bin', () => {
    const t = Float32Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const mi = mutualInformation(t, labels, { bins: n, binRange: [0, 1], units: 'nats' });
    assertClose([mi.ixt, mi.ity], [Math.log(n), 2 * Math.LN2], { atol: 1e-12 });
  });

  it('kde: well-separated points (distance² 2 ≫ σ²) reach log n and H(Y)', () => {
    const t = tf.tensor2d(oneHot(n), [n, n]);
    const mi = mutualInformation(t, labels, { estimator: 'kde', noiseVariance: 1e-3 });
    assertClose([mi.ixt, mi.ity], [log2(n), 2], { atol: 1e-5 });
    const lower = mutualInformation(t, labels, {
      estimator: 'kde',
      noiseVariance: 1e-3,
      bound: 'lower',
      units: 'nats',
    });
    assertClose([lower.ixt, lower.ity], [Math.log(n), 2 * Math.LN2], { atol: 1e-5 });
    t.dispose();
  });

  it('kde: unbalanced classes (40, 16, 8 of 64) weight H(T|Y) by p(y): I(T;Y) = H(Y)', () => {
    const unbalanced = Int32Array.from({ length: n }, (_, i) => (i < 40 ? 0 : i < 56 ? 1 : 2));
    const t = tf.tensor2d(oneHot(n), [n, n]);
    const mi = mutualInformation(t, unbalanced, { estimator: 'kde', noiseVariance: 1e-3 });
    assertClose(mi.ity, entropyOfLabels(unbalanced), { atol: 1e-5 });
    t.dispose();
  });
});

describe('T independent of Y: I(T;Y) ≈ 0 up to the estimator’s known positive bias', () => {
  it('binning: the plug-in bias (K−1)(C−1)/(2n) nats, averaged over 30 seeded batches', () => {
    // 2 units × 2 bins → K = 4 patterns, C = 3 classes, n = 600. The G statistic 2n·Î (nats) is
    // asymptotically χ² with df = (K−1)(C−1) = 6: mean df/(2n) = 0.005 nats, sd √(2df)/(2n).
    const [n, classes, df] = [600, 3, 6];
    const random = new Random(7);
    const estimates = Array.from({ length: 30 }, () => {
      const t = Float32Array.from({ length: 2 * n }, () => random.uniform());
      return mutualInformation(t, uniformLabels(random, n, classes), {
        bins: 2,
        binRange: [0, 1],
        units: 'nats',
      }).ity;
    });
    const sd = Math.sqrt(2 * df) / (2 * n);
    for (const ity of estimates)
      assert.ok(ity >= 0 && ity <= df / (2 * n) + 6 * sd, `Î(T;Y) = ${ity}`);
    const mean = estimates.reduce((a, b) => a + b) / estimates.length;
    assertClose(mean, df / (2 * n), { atol: (4 * sd) / Math.sqrt(estimates.length), rtol: 0 });
  });

  it('binning saturates: continuous noise in fine bins gives every sample its own pattern', () => {
    const random = new Random(8);
    const n = 256;
    const labels = uniformLabels(random, n, 4);
    const mi = mutualInformation(normals(random, n * 8), labels, { bins: 30 });
    assertClose([mi.ixt, mi.ity], [log2(n), entropyOfLabels(labels)], { atol: 1e-12 });
  });

  it('kde: matches the expected bias of the self-term and of Jensen’s gap, within 0.04 nats', () => {
    // h ~ N(0, I_2) independent of Y (4 classes, n = 400), σ² = 0.1. Each sample's kernel sum
    // includes itself (weight 1/n overall, 1/n_y within its class), so I(T;Y) is biased upward.
    const [n, d, variance] = [400, 2, 0.1];
    const random = new Random(9);
    const h = normals(random, n * d);
    const labels = uniformLabels(random, n, 4);
    const ity = mutualInformation(h, labels, {
      estimator: 'kde',
      noiseVariance: variance,
      units: 'nats',
    }).ity;
    const expected = expectedIndependentKdeBias(h, labels, d, variance);
    assert.ok(expected > 0.1, `expected bias ${expected}`); // the bias is far from negligible here
    // 0.04 ≈ 3 sd of (Î − expected) over seeds (sd 0.0126, measured over 20 seeds).
    assertClose(ity, expected, { atol: 0.04, rtol: 0 });
  });
});

/**
 * E[Î(T;Y)] for h ~ N(0, I_d) independent of Y. For sample i with class size m, the kernel mean
 * S_m = (1/m)(1 + Σ_{j≠i, j in class} K_ij) has, given h_i, mean μ_m = (1 + (m−1)k₁)/m and
 * variance (m−1)(k₂ − k₁²)/m², with k₁ = E_j K_ij = (σ²/(σ²+1))^{d/2} exp(−‖h_i‖²/(2(σ²+1))) and
 * k₂ = E_j K_ij² (the same with σ²/2). Î(T;Y) = mean_i [log S_{n_y} − log S_n] and, to second
 * order, E log S_m ≈ log μ_m − Var S_m/(2μ_m²).
 */
function expectedIndependentKdeBias(
  h: Float32Array,
  labels: Int32Array,
  d: number,
  variance: number,
): number {
  const n = labels.length;
  const classSize = new Map<number, number>();
  for (const y of labels) classSize.set(y, (classSize.get(y) ?? 0) + 1);
  const kernelMoment = (s: number, r2: number) =>
    (s / (s + 1)) ** (d / 2) * Math.exp(-r2 / (2 * (s + 1)));
  let total = 0;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    for (let k = 0; k < d; k++) r2 += h[i * d + k] ** 2;
    const k1 = kernelMoment(variance, r2);
    const k2 = kernelMoment(variance / 2, r2);
    const expectedLog = (m: number) => {
      const mu = (1 + (m - 1) * k1) / m;
      return Math.log(mu) - ((m - 1) * (k2 - k1 * k1)) / (m * m) / (2 * mu * mu);
    };
    total += expectedLog(classSize.get(labels[i]) as number) - expectedLog(n);
  }
  return total / n;
}

describe('Gaussian channel T = X + ε, X ~ N(0, 1), ε ~ N(0, σ²): I = ½ log(1 + SNR)', () => {
  // With n → ∞ the KL bound tends to ½ log(1+SNR) + ½·SNR/(1+SNR) nats and the Bhattacharyya
  // bound to ½ log(1+SNR/4) + ½·(SNR/4)/(1+SNR/4) (docs/mutual-information.md derives both). At
  // n = 1000 the estimates scatter by sd ≈ 0.015–0.023 nats (measured over seeds): tolerance 0.07.
  const n = 1000;
  const random = new Random(10);
  const x = normals(random, n);
  const labels = new Int32Array(n); // one class: I(T;Y) must be exactly 0
  const limit = (snr: number) => 0.5 * Math.log1p(snr) + (0.5 * snr) / (1 + snr);

  for (const snr of [1, 3, 10]) {
    it(`SNR ${snr}: the upper bound lies above the truth, the lower one below, each near its limit`, () => {
      const truth = 0.5 * Math.log1p(snr);
      const options = { estimator: 'kde' as const, noiseVariance: 1 / snr, units: 'nats' as const };
      const upper = mutualInformation(x, labels, options);
      const lower = mutualInformation(x, labels, { ...options, bound: 'lower' });
      assert.ok(upper.ixt >= truth && lower.ixt <= truth, `${lower.ixt} ≤ ${truth} ≤ ${upper.ixt}`);
      assertClose(upper.ixt, limit(snr), { atol: 0.07, rtol: 0 });
      assertClose(lower.ixt, limit(snr / 4), { atol: 0.07, rtol: 0 });
      assertClose([upper.ity, lower.ity], [0, 0], { atol: 1e-9 });
    });
  }
});

describe('layers, labels and errors', () => {
  it('entropyOfLabels gives H(Y) in bits or nats', () => {
    assert.equal(entropyOfLabels([0, 0, 1, 1]), 1);
    assertClose(entropyOfLabels([0, 1, 2, 3, 0, 1, 2, 3]), 2, { atol: 1e-12 });
    assertClose(
      entropyOfLabels([0, 0, 0, 1], 'nats'),
      -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)),
      { atol: 1e-12 },
    );
  });

  it('patternIds groups equal bin patterns', () => {
    assert.deepEqual(
      Array.from(patternIds(Uint16Array.from([1, 2, 1, 2, 2, 1, 1, 2]), 4, 2)),
      [0, 0, 1, 0],
    );
  });

  it('quantile bins keep a ReLU’s zeros in one bin', () => {
    // 50 zeros and 50 distinct positives in 10 equal-mass bins: counts 50, 10, 10, 10, 10, 10.
    const t = Float32Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : i));
    const { ixt } = mutualInformation(t, new Int32Array(100), { binRange: 'quantile', bins: 10 });
    assertClose(ixt, 0.5 + 0.5 * log2(10), { atol: 1e-12 });
  });

  it('layerwiseMutualInformation bins each layer by its own activation', () => {
    const random = new Random(11);
    const n = 128;
    const labels = uniformLabels(random, n, 2);
    const tanh = Float32Array.from(normals(random, n * 3), Math.tanh);
    const relu = Float32Array.from(normals(random, n * 3), (v) => Math.max(0, v) * 5);
    const result = layerwiseMutualInformation(
      [
        { name: 'a', activations: tanh, activation: 'tanh' },
        { name: 'b', activations: relu, activation: 'relu' },
      ],
      labels,
      { bins: 4 },
    );
    assert.deepEqual(result, [
      { name: 'a', ...mutualInformation(tanh, labels, { bins: 4, binRange: [-1, 1] }) },
      { name: 'b', ...mutualInformation(relu, labels, { bins: 4, binRange: 'batch' }) },
    ]);
  });

  it('layersFromTrace reads names, outputs and fused activations from a forward trace', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          units: 3,
          inputShape: [2],
          activation: 'tanh',
          name: 'h1',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.dense({
          units: 2,
          activation: 'softmax',
          name: 'out',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
    const x = tf.tensor2d([0, 1, 1, 0, 1, 1, 0.5, -1], [4, 2]);
    const trace = forwardTrace(model, x, false);
    const layers = layersFromTrace(trace);
    assert.deepEqual(
      layers.map((l) => [l.name, l.activation]),
      [
        ['h1', 'tanh'],
        ['out', 'softmax'],
      ],
    );
    const mi = layerwiseMutualInformation(layers, [0, 1, 1, 0], { estimator: 'kde' });
    assert.equal(mi.length, 2);
    assert.ok(
      mi.every(({ ixt, ity }) => ixt >= 0 && ixt <= 2 + 1e-6 && ity <= 1 + 1e-6),
      JSON.stringify(mi),
    );
    tf.dispose([
      x,
      trace.output,
      trace.logits,
      ...trace.layers.flatMap((l) => [l.output, l.preActivation ?? l.output]),
    ]);
    model.dispose();
  });

  it('pairwiseKernelTerm matches a direct float64 sum, across blocks of 1024 rows', () => {
    const n = 1100;
    const h = normals(new Random(13), n);
    let sumLog = 0;
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let j = 0; j < n; j++) row += Math.exp(-((h[i] - h[j]) ** 2) / (2 * 0.05));
      sumLog += Math.log(row / n);
    }
    const t = tf.tensor2d(h, [n, 1]);
    assertClose(pairwiseKernelTerm(t, 0.05), -sumLog / n, { atol: 1e-4, rtol: 0 });
    t.dispose();
  });

  it('the kernel estimator leaks no tensors', async () => {
    const t = tf.tensor2d(normals(new Random(12), 40 * 3), [40, 3]);
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
    await assertNoLeak(() =>
      mutualInformation(t, labels, { estimator: 'kde', noiseVariance: 0.1 }),
    );
    t.dispose();
  });

  it('rejects mismatched shapes, bad labels, non-finite values and bad options with a ReglabError', () => {
    const t = new Float32Array(12);
    assert.throws(() => mutualInformation(t, [0, 1, 0, 1, 0]), ReglabError);
    assert.throws(() => mutualInformation(t, [0, 1, -1, 0]), ReglabError);
    assert.throws(() => mutualInformation(t, [0, 1.5, 1, 0]), ReglabError);
    assert.throws(
      () => mutualInformation(Float32Array.from([NaN, 0, 0, 0]), [0, 1, 0, 1]),
      ReglabError,
    );
    assert.throws(() => mutualInformation(t, [0, 1, 1, 0], { bins: 1 }), ReglabError);
    assert.throws(() => mutualInformation(t, [0, 1, 1, 0], { binRange: [1, 1] }), ReglabError);
    assert.throws(
      () => mutualInformation(t, [0, 1, 1, 0], { estimator: 'kde', noiseVariance: 0 }),
      ReglabError,
    );
    assert.throws(
      () => mutualInformation(t, [0, 1, 1, 0], { estimator: 'gauss' as 'kde' }),
      ReglabError,
    );
  });
});
