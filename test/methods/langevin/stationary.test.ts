/**
 * The noise scales checked against known stationary laws, on non-flat potentials, so that a
 * wrong factor (√(hτ) for √(2hτ), √(2γhτ) for √(τ(1 − c²)), the circle's d instead of d/r, the
 * SHAKE step's d instead of (h/2)·d) moves a measured moment far outside its tolerance:
 *
 * - quadratic L = (k/2)Σw², unconstrained: underdamped (BAOAB samples the configuration of a
 *   harmonic potential exactly) E[w²] = τ/k; overdamped w' = (1 − hk)w + √(2hτ)R is an AR(1)
 *   process with the exact stationary variance 2hτ/(1 − (1 − hk)²) = (τ/k)/(1 − hk/2);
 * - circle r, tilted L = a·w with w = r sin φ: the Gibbs density on the circle ∝ exp(−a r sin φ/τ)
 *   in the angle φ (arc length), moments by quadrature;
 * - sphere R in ℝ³ (one chain per column), tilted L = a·m₀: the cosine t = m₀/R has density
 *   ∝ exp(−κt) on [−1, 1] (Archimedes), κ = aR/τ, so E[t] = −(coth κ − 1/κ).
 *
 * Thousands of independent chains run in one tensor. Each chain's time average over the
 * sampling window is one independent sample, so the standard error over chains is exact
 * whatever the autocorrelation; the tolerance is 4 standard errors plus a bound on the
 * discretisation bias (measured with more chains, in each case's comment). Every case also
 * asserts its own power: the tolerance is below half the change the same moment shows at τ/2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../support.js';
import {
  OverdampedLangevin,
  UnderdampedLangevin,
  type LangevinOptimizer,
} from '../../../src/methods/langevin/index.js';

await useBackend();

interface Chains {
  optimizer: LangevinOptimizer;
  name: string;
  init: tf.Tensor;
  loss: (w: tf.Variable) => tf.Scalar;
  /** Per-chain statistics of the current state (one value per chain each). */
  stats: (w: tf.Tensor) => tf.Tensor[];
  burn: number;
  steps: number;
}

/** Mean over chains of each statistic's per-chain time average, with its standard error. */
function sampleMoments(chains: Chains): { mean: number; se: number }[] {
  const w = tf.variable(chains.init, true, chains.name);
  let sums: tf.Tensor[] | undefined;
  for (let s = 0; s < chains.burn + chains.steps; s++) {
    chains.optimizer.minimize(() => chains.loss(w), false, [w]);
    if (s < chains.burn) continue;
    const next = tf.tidy(() => {
      const now = chains.stats(w);
      return sums ? now.map((x, i) => tf.add(x, (sums as tf.Tensor[])[i])) : now;
    });
    tf.dispose(sums);
    sums = next;
  }
  const moments = (sums as tf.Tensor[]).map((sum) => {
    const perChain = Array.from(sum.dataSync(), (x) => x / chains.steps);
    const n = perChain.length;
    const mean = perChain.reduce((a, b) => a + b, 0) / n;
    const variance = perChain.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    return { mean, se: Math.sqrt(variance / n) };
  });
  tf.dispose([w, ...(sums as tf.Tensor[]), chains.init]);
  chains.optimizer.dispose();
  return moments;
}

/** Asserts |measured − expected| ≤ 4·se + bias, and that this tolerance tells τ from τ/2. */
function assertMoment(
  label: string,
  measured: { mean: number; se: number },
  expected: number,
  atHalfTau: number,
  bias: number,
): void {
  const tolerance = 4 * measured.se + bias;
  assert.ok(
    tolerance < Math.abs(expected - atHalfTau) / 2,
    `${label}: tolerance ${tolerance} cannot tell τ (${expected}) from τ/2 (${atHalfTau})`,
  );
  assert.ok(
    Math.abs(measured.mean - expected) <= tolerance,
    `${label}: ${measured.mean} ± ${measured.se} (se), expected ${expected} (tolerance ${tolerance}; at τ/2: ${atHalfTau})`,
  );
}

/** E[f(sin φ)] under the density ∝ exp(−κ sin φ) dφ (trapezoid rule, exact to ~1e-15 for periodic f). */
function tiltedCircleMean(kappa: number, f: (s: number) => number): number {
  const n = 4096;
  let weight = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.sin((2 * Math.PI * i) / n);
    const p = Math.exp(-kappa * s);
    weight += p;
    sum += p * f(s);
  }
  return sum / weight;
}

/** E[t] for the density ∝ exp(−κt) on [−1, 1]: −(coth κ − 1/κ). */
const tiltedSphereMean = (kappa: number): number => -(1 / Math.tanh(kappa) - 1 / kappa);

const quadraticLoss = (k: number) => (w: tf.Variable) =>
  tf.mul(k / 2, tf.sum(tf.square(w))) as tf.Scalar;

test('quadratic potential: E[w²] = τ/k (underdamped BAOAB) and (τ/k)/(1 − hk/2) (overdamped SGLD)', () => {
  const k = 1;
  const tau = 0.5;
  const n = 4000;
  // BAOAB h = 0.3, γ = 1 (the experiment's values): measured 0.5004 ± 0.0007 with 10k chains.
  const [ud] = sampleMoments({
    optimizer: new UnderdampedLangevin({ h: 0.3, gamma: 1, tau, seed: 11 }),
    name: 'stationary_quad_ud/kernel',
    init: tf.zeros([n]),
    loss: quadraticLoss(k),
    stats: (w) => [tf.square(w)],
    burn: 100,
    steps: 300,
  });
  assertMoment('underdamped E[w²]', ud, tau / k, tau / 2 / k, 0);
  const h = 0.05;
  const [od] = sampleMoments({
    optimizer: new OverdampedLangevin({ h, tau, seed: 12 }),
    name: 'stationary_quad_od/kernel',
    init: tf.zeros([n]),
    loss: quadraticLoss(k),
    stats: (w) => [tf.square(w)],
    burn: 200,
    steps: 400,
  });
  const exact = (t: number) => t / k / (1 - (h * k) / 2);
  assertMoment('overdamped E[w²]', od, exact(tau), exact(tau / 2), 0);
});

test('circle with a tilted potential samples the Gibbs density ∝ exp(−L(r sin φ)/τ) in φ', () => {
  const r = 0.5;
  const a = 2;
  const tau = 1;
  const kappa = (t: number) => (a * r) / t;
  const circleChains = (
    optimizer: LangevinOptimizer,
    name: string,
    n: number,
    burn: number,
    steps: number,
  ) =>
    sampleMoments({
      optimizer,
      name: `${name}/kernel`,
      init: tf.zeros([n]),
      loss: (w) => tf.mul(a, tf.sum(w)) as tf.Scalar,
      stats: (w) => [tf.div(w, r), tf.square(tf.div(w, r))],
      burn,
      steps,
    });
  const expected = (t: number) => [
    tiltedCircleMean(kappa(t), (s) => s),
    tiltedCircleMean(kappa(t), (s) => s * s),
  ];
  const [e1, e2] = expected(tau);
  const [h1, h2] = expected(tau / 2);
  // Underdamped h = 0.1: with 10k chains −0.4449 ± 0.0010 and 0.5526 ± 0.0004 (bias ≲ 0.002).
  const [ud1, ud2] = circleChains(
    new UnderdampedLangevin({
      h: 0.1,
      gamma: 1,
      tau,
      seed: 21,
      constraints: `circle:${r}@stationary_circle_ud`,
    }),
    'stationary_circle_ud',
    4000,
    200,
    400,
  );
  assertMoment('underdamped E[w/r]', ud1, e1, h1, 0.003);
  assertMoment('underdamped E[(w/r)²]', ud2, e2, h2, 0.003);
  // Overdamped h = 0.005: the projection scheme's O(h) bias, measured with 8k chains on
  // 2 seeds −0.4378/−0.4371 ± 0.0024 (h = 0.0025: −0.4401), against −0.4464.
  const [od1, od2] = circleChains(
    new OverdampedLangevin({
      h: 0.005,
      tau,
      seed: 22,
      constraints: `circle:${r}@stationary_circle_od`,
    }),
    'stationary_circle_od',
    3000,
    500,
    400,
  );
  assertMoment('overdamped E[w/r]', od1, e1, h1, 0.012);
  assertMoment('overdamped E[(w/r)²]', od2, e2, h2, 0.004);
});

test('sphere in ℝ³ with a tilted potential: E[m₀/R] = −(coth κ − 1/κ)', () => {
  const R = 1;
  const a = 1;
  const tau = 1;
  const n = 1000;
  const sphereChains = (optimizer: LangevinOptimizer, name: string, burn: number, steps: number) =>
    sampleMoments({
      optimizer,
      name: `${name}/kernel`,
      // Random directions: the initialisation scales each column onto the sphere.
      init: tf.randomNormal([3, n], 0, 1, 'float32', 5),
      loss: (w) => tf.mul(a, tf.sum(tf.slice(w, [0, 0], [1, -1]))) as tf.Scalar,
      stats: (w) => [tf.div(tf.squeeze(tf.slice(w, [0, 0], [1, -1]), [0]), R)],
      burn,
      steps,
    })[0];
  const expected = tiltedSphereMean((a * R) / tau);
  const atHalf = tiltedSphereMean((a * R) / (tau / 2));
  // Measured with 1k chains: underdamped h = 0.1 −0.3141 ± 0.0043, overdamped h = 0.01
  // −0.3132 ± 0.0073 (h = 0.005: −0.3221 ± 0.0073), against −0.3130.
  assertMoment(
    'underdamped E[m₀/R]',
    sphereChains(
      new UnderdampedLangevin({
        h: 0.1,
        gamma: 1,
        tau,
        seed: 31,
        constraints: `sphere:${R}@stationary_sphere_ud`,
      }),
      'stationary_sphere_ud',
      150,
      250,
    ),
    expected,
    atHalf,
    0.01,
  );
  assertMoment(
    'overdamped E[m₀/R]',
    sphereChains(
      new OverdampedLangevin({
        h: 0.01,
        tau,
        seed: 32,
        constraints: `sphere:${R}@stationary_sphere_od`,
      }),
      'stationary_sphere_od',
      400,
      400,
    ),
    expected,
    atHalf,
    0.01,
  );
});
