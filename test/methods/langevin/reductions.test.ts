/**
 * Reductions and sampling sanity: underdamped with no constraints and τ = 0 equals
 * tf.train.momentum step for step (lr = h²(1+c)/2, μ = c); overdamped with τ = 0 equals SGD;
 * the circle method equals BAOAB on the angle φ (w = r sin φ, ξ = r cos φ) to ~1e-5, noise
 * included; a flat loss on the circle samples the arcsine law E[w²] = r²/2; same seed, same run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, assertNoLeak } from '../../support.js';
import { Random } from '../../../src/core/random.js';
import {
  UnderdampedLangevin,
  OverdampedLangevin,
  langevinToMomentum,
  momentumToLangevin,
  circle,
  orthogonal,
  sphere,
  type ShakeConstraint,
} from '../../../src/methods/langevin/index.js';

await useBackend();

function regression(optimizer: tf.Optimizer, steps: number, prefix: string): Float32Array[] {
  const w = tf.variable(tf.randomNormal([5, 3], 0, 0.5, 'float32', 1), true, `${prefix}/w`);
  const b = tf.variable(tf.zeros([3]), true, `${prefix}/b`);
  const x = tf.randomNormal([16, 5], 0, 1, 'float32', 2);
  const y = tf.randomNormal([16, 3], 0, 1, 'float32', 3);
  const trace: Float32Array[] = [];
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(
      () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar,
      false,
      [w, b],
    );
    trace.push(Float32Array.from([...w.dataSync(), ...b.dataSync()]));
  }
  tf.dispose([w, b, x, y]);
  return trace;
}

function assertTracesClose(a: Float32Array[], b: Float32Array[], tol: number): void {
  assert.equal(a.length, b.length);
  a.forEach((row, i) =>
    row.forEach((v, j) =>
      assert.ok(
        Math.abs(v - b[i][j]) <= tol * (1 + Math.abs(b[i][j])),
        `step ${i} [${j}]: ${v} vs ${b[i][j]}`,
      ),
    ),
  );
}

test('underdamped, no constraints, τ = 0 equals tf.train.momentum step for step', () => {
  const reference = regression(tf.train.momentum(0.05, 0.9), 30, 'm');
  assertTracesClose(
    regression(new UnderdampedLangevin({ lr: 0.05, momentum: 0.9 }), 30, 'u1'),
    reference,
    1e-5,
  );
  const { h, c } = momentumToLangevin(0.05, 0.9);
  const byGamma = new UnderdampedLangevin({ h, gamma: -Math.log(c) / h });
  assertTracesClose(regression(byGamma, 30, 'u2'), reference, 1e-5);
  const mapped = langevinToMomentum(0.3, Math.exp(-0.3));
  assertTracesClose(
    regression(new UnderdampedLangevin({ h: 0.3, gamma: 1 }), 30, 'u3'),
    regression(tf.train.momentum(mapped.lr, mapped.momentum), 30, 'm2'),
    1e-5,
  );
});

test('overdamped, no constraints, τ = 0 equals tf.train.sgd', () => {
  assertTracesClose(
    regression(new OverdampedLangevin({ h: 0.05 }), 20, 'o1'),
    regression(tf.train.sgd(0.05), 20, 's1'),
    1e-5,
  );
});

test('no tensor leaks per step (underdamped circle + orthogonal, overdamped)', async () => {
  const w = tf.variable(tf.randomNormal([6, 4], 0, 0.1, 'float32', 1), true, 'leak_a/kernel');
  const k = tf.variable(tf.randomNormal([8, 3], 0, 0.1, 'float32', 2), true, 'leak_b/kernel');
  for (const opt of [
    new UnderdampedLangevin({
      h: 0.3,
      gamma: 1,
      tau: 1e-3,
      constraints: 'circle:0.5@leak_a,orthogonal@leak_b',
    }),
    new OverdampedLangevin({ h: 0.1, tau: 1e-3, constraints: 'circle:0.5@leak_a,sphere:1@leak_b' }),
  ]) {
    await assertNoLeak(
      () => opt.minimize(() => tf.add(tf.sum(tf.square(w)), tf.sum(tf.sin(k))) as tf.Scalar),
      5,
    );
    opt.dispose();
  }
  tf.dispose([w, k]);
});

test('circle underdamped equals BAOAB on the angle φ (float64 oracle, same noise) to ~1e-5', () => {
  const r = 1;
  const h = 0.3;
  const gamma = 1;
  const tau = 0.05;
  const n = 50;
  const steps = 200;
  const c = Math.exp(-gamma * h);
  const d = Math.sqrt(tau * (1 - c * c));
  const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  // L = Σ a_i w_i + w_i²  (g = a + 2w)
  const w0 = Float32Array.from({ length: n }, (_, i) => 0.9 * Math.cos(3 * i));
  const w = tf.variable(tf.tensor1d(w0), true, 'phi/kernel');
  const aT = tf.tensor1d(Float32Array.from(a));
  const opt = new UnderdampedLangevin({ h, gamma, tau, seed: 42, constraints: 'circle:1@/phi/' });
  const noise = new Random(42);
  const phi = Float64Array.from(w0, (x) => Math.asin(x / r));
  const omega = new Float64Array(n);
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    opt.minimize(() => tf.sum(tf.add(tf.mul(aT, w), tf.square(w))) as tf.Scalar, false, [w]);
    const R = tf.tidy(() => noise.normalTensor([n]).dataSync());
    for (let i = 0; i < n; i++) {
      const g = a[i] + 2 * r * Math.sin(phi[i]);
      omega[i] -= (h * g * r * Math.cos(phi[i])) / (r * r); // B (both half kicks)
      const next = c * omega[i] + (d / r) * R[i]; // O
      phi[i] += (h / 2) * (omega[i] + next); // A, A
      omega[i] = next;
    }
    const got = w.dataSync();
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - r * Math.sin(phi[i])));
  }
  assert.ok(worst < 2e-5, `max |w − r sin φ| = ${worst}`);
  opt.dispose();
  tf.dispose([w, aT]);
});

function flatCircleMoments(opt: tf.Optimizer, name: string, r: number): { m2: number; m4: number } {
  const n = 4000;
  const w = tf.variable(tf.randomUniform([n], -r * 0.99, r * 0.99, 'float32', 9), true, name);
  let m2 = 0;
  let m4 = 0;
  let count = 0;
  const zero = tf.zeros([n]);
  for (let s = 0; s < 400; s++) {
    opt.applyGradients({ [name]: zero });
    if (s >= 100) {
      const v = w.dataSync();
      for (let i = 0; i < n; i++) {
        const x = (v[i] / r) ** 2;
        m2 += x;
        m4 += x * x;
      }
      count += n;
    }
  }
  tf.dispose([w, zero]);
  return { m2: m2 / count, m4: m4 / count };
}

test('flat loss on a circle with τ > 0 samples the arcsine law: E[w²] = r²/2, E[w⁴] = 3r⁴/8', () => {
  const ud = flatCircleMoments(
    new UnderdampedLangevin({
      h: 0.3,
      gamma: 1,
      tau: 1,
      seed: 1,
      constraints: 'circle:2@/flat_ud/',
    }),
    'flat_ud',
    2,
  );
  assert.ok(
    Math.abs(ud.m2 - 0.5) < 0.02 && Math.abs(ud.m4 - 0.375) < 0.02,
    `underdamped: E[w²]/r² = ${ud.m2}, E[w⁴]/r⁴ = ${ud.m4}`,
  );
  const od = flatCircleMoments(
    new OverdampedLangevin({ h: 0.02, tau: 1, seed: 2, constraints: 'circle:1@/flat_od/' }),
    'flat_od',
    1,
  );
  assert.ok(
    Math.abs(od.m2 - 0.5) < 0.03 && Math.abs(od.m4 - 0.375) < 0.03,
    `overdamped: E[w²]/r² = ${od.m2}, E[w⁴]/r⁴ = ${od.m4}`,
  );
});

test('same seed, same run; another seed, another run', () => {
  const once = (seed: number, tag: string): Float32Array[] =>
    regression(
      new UnderdampedLangevin({
        h: 0.2,
        gamma: 1,
        tau: 0.01,
        seed,
        constraints: [{ pattern: /\/w$/, constraint: circle(0.5) }],
      }),
      5,
      tag,
    );
  assert.deepEqual(once(3, 'sa'), once(3, 'sb'));
  assert.notDeepEqual(once(3, 'sc'), once(4, 'sd'));
});

/**
 * The textbook BAOAB + SHAKE/RATTLE step, every velocity projected: B v ← v − hΠ_θ∇L;
 * A θ₁ = SHAKE(θ, θ + (h/2)v), v = Π_θ₁((θ₁ − θ)/(h/2)); O v ← c·v + d·Π_θ₁(R); A as before.
 */
function textbookStep(
  k: ShakeConstraint,
  theta: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  p: { h: number; c: number; d: number; rng: Random },
): [tf.Tensor, tf.Tensor] {
  const half = p.h / 2;
  const drift = (x: tf.Tensor, u: tf.Tensor): [tf.Tensor, tf.Tensor] => {
    const y = k.project(x, tf.add(x, tf.mul(half, u)), 1e-7, 50);
    return [y, k.tangent([y], [tf.div(tf.sub(y, x), half)])[0]];
  };
  const [x, u] = drift(theta, tf.sub(v, tf.mul(p.h, k.tangent([theta], [g])[0])));
  return drift(
    x,
    tf.add(tf.mul(p.c, u), tf.mul(p.d, k.tangent([x], [p.rng.normalTensor(x.shape)])[0])),
  );
}

test('SHAKE constraints: leaving out the velocity projections SHAKE absorbs gives the textbook RATTLE step', () => {
  for (const [k, shape] of [
    [orthogonal(), [40, 12]],
    [orthogonal(), [3, 3, 2, 24]],
    [sphere(1), [10, 6]],
  ] as Array<[ShakeConstraint, number[]]>) {
    const name = `rattle_${k.kind}_${shape.length}/kernel`;
    const theta = tf.variable(tf.randomNormal(shape, 0, 0.3, 'float32', 1), true, name);
    const opt = new UnderdampedLangevin({
      h: 0.3,
      gamma: 1,
      tau: 1e-3,
      seed: 8,
      shakeTol: 1e-7,
      shakeMaxIter: 50,
      constraints: [{ pattern: /^rattle_/, constraint: k }],
    });
    opt.initialiseVariables([theta]);
    const p = { h: opt.h, c: opt.c, d: opt.d, rng: new Random(8) };
    let refTheta: tf.Tensor = tf.clone(theta);
    let refV: tf.Tensor = tf.zerosLike(theta);
    for (let step = 0; step < 20; step++) {
      const g = tf.randomNormal(shape, 0, 0.3, 'float32', 100 + step);
      opt.applyGradients({ [name]: g });
      const [t, v] = tf.tidy(() => textbookStep(k, refTheta, refV, g, p));
      tf.dispose([refTheta, refV, g]);
      [refTheta, refV] = [t, v];
      const dTheta = tf.tidy(() => tf.max(tf.abs(tf.sub(theta, refTheta))).dataSync()[0]);
      const dV = tf.tidy(
        () =>
          tf.max(tf.abs(tf.sub(opt.slot(name)!.vel!, refV))).dataSync()[0] /
          tf.max(tf.abs(refV)).dataSync()[0],
      );
      assert.ok(
        dTheta < 2e-5 && dV < 1e-3,
        `${k.spec()} [${shape}] step ${step}: |Δθ| = ${dTheta}, |Δv|/|v| = ${dV}`,
      );
    }
    opt.dispose();
    tf.dispose([theta, refTheta, refV]);
  }
});
