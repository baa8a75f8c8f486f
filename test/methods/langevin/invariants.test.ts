/**
 * Invariants over many steps with random gradients and τ > 0, on cpu and wasm (both by default;
 * REGLAB_TEST_BACKEND=cpu or =wasm runs one): the constraint holds after every step
 * (circle |w² + ξ² − r²|/r² < 1e-5 and |w| ≤ r(1 + 1e-6); orthogonal max|MᵀM − I| < 1e-5;
 * sphere), momenta stay tangent, and no tensor leaks across steps.
 *
 * Step counts: 1,000 for circle and sphere, and 1,000 for every orthogonal kernel (784×100,
 * 64×576, 576×64, 3×3×16×32) on wasm (~90 s together on 2 cores). On cpu, where the ~20
 * matmuls of an underdamped orthogonal step take seconds per 10 steps, the same code runs
 * fewer steps (below); REGLAB_LANGEVIN_FULL=1 runs 1,000 steps there too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../support.js';
import { installWasmKernelFixes } from '../../../src/backend/wasm-kernels.js';
import {
  UnderdampedLangevin,
  OverdampedLangevin,
  LangevinOptimizer,
  circle,
  sphere,
  orthogonal,
  type Constraint,
} from '../../../src/methods/langevin/index.js';

const BACKENDS = process.env.REGLAB_TEST_BACKEND
  ? [process.env.REGLAB_TEST_BACKEND]
  : ['cpu', 'wasm'];
const FULL = process.env.REGLAB_LANGEVIN_FULL === '1';

/**
 * The backend as `selectBackend` gives it to users: wasm with reglab's kernel fixes (the stock
 * wasm matmul with a transpose flag is a ~20× slower loop, and the Gram products XᵀY ask for one).
 */
async function useSelectedBackend(backend: string): Promise<void> {
  await useBackend(backend);
  if (backend === 'wasm') installWasmKernelFixes();
}

function orthoSteps(backend: string, shape: number[]): number {
  if (FULL) return 1000;
  const size = shape.reduce((a, b) => a * b, 1);
  if (backend === 'wasm') return 1000;
  return size <= 5000 ? 100 : 4;
}

interface RunSpec {
  constraint: Constraint;
  shape: number[];
  steps: number;
  gradScale: number;
  make: (constraint: Constraint) => LangevinOptimizer;
  check: (theta: tf.Variable, opt: LangevinOptimizer, step: number) => void;
}

function run(spec: RunSpec): void {
  const name = `inv_${spec.constraint.kind}_${Math.random().toString(36).slice(2)}/kernel`;
  const theta = tf.variable(tf.randomNormal(spec.shape, 0, 0.05, 'float32', 1), true, name);
  const opt = spec.make(spec.constraint);
  let tensorsAfterWarmup = 0;
  for (let step = 0; step < spec.steps; step++) {
    const g = tf.randomNormal(spec.shape, 0, spec.gradScale, 'float32', 1000 + step);
    opt.applyGradients({ [name]: g });
    g.dispose();
    spec.check(theta, opt, step);
    if (step === 1) tensorsAfterWarmup = tf.memory().numTensors;
  }
  if (spec.steps > 2)
    assert.equal(tf.memory().numTensors, tensorsAfterWarmup, 'tensor count flat across steps');
  opt.dispose();
  theta.dispose();
}

const ud = (tau: number) => (constraint: Constraint) =>
  new UnderdampedLangevin({
    lr: 0.1,
    momentum: 0.9,
    tau,
    seed: 5,
    constraints: [{ pattern: /^inv_/, constraint }],
  });
const udPaper = (tau: number) => (constraint: Constraint) =>
  new UnderdampedLangevin({
    h: 0.3,
    gamma: 1,
    tau,
    seed: 5,
    constraints: [{ pattern: /^inv_/, constraint }],
  });
const od =
  (tau: number, h = 0.1) =>
  (constraint: Constraint) =>
    new OverdampedLangevin({ h, tau, seed: 6, constraints: [{ pattern: /^inv_/, constraint }] });

function residualBelow(limit: number) {
  return (theta: tf.Variable, opt: LangevinOptimizer, step: number): void => {
    const r = opt.residuals()[theta.name];
    assert.ok(r < limit, `step ${step}: residual ${r} ≥ ${limit}`);
  };
}

function circleCheck(r: number) {
  return (theta: tf.Variable, opt: LangevinOptimizer, step: number): void => {
    residualBelow(1e-5)(theta, opt, step);
    const m = tf.tidy(() => tf.max(tf.abs(theta)).dataSync()[0]);
    assert.ok(m <= r * (1 + 1e-6), `step ${step}: |w| = ${m} > r`);
  };
}

/** Momentum tangency: max|MᵀV + VᵀM| (tall view) relative to |V|. */
function orthoCheck(theta: tf.Variable, opt: LangevinOptimizer, step: number): void {
  residualBelow(1e-5)(theta, opt, step);
  const vel = opt.slot(theta.name)?.vel;
  if (!vel) return;
  const [asym, scale] = tf.tidy(() => {
    const k = opt.slot(theta.name)!.constraint;
    const pv = k.tangent([theta], [vel])[0];
    return [tf.max(tf.abs(tf.sub(pv, vel))).dataSync()[0], tf.max(tf.abs(vel)).dataSync()[0]];
  });
  assert.ok(
    asym <= 1e-4 * Math.max(scale, 1e-3),
    `step ${step}: momentum not tangent (|Πv − v| = ${asym}, |v| = ${scale})`,
  );
}

for (const backend of BACKENDS) {
  test(`[${backend}] circle, underdamped (h=0.3, γ=1, τ>0) and overdamped: 1,000 steps on the circle`, async () => {
    await useSelectedBackend(backend);
    run({
      constraint: circle(0.05),
      shape: [30, 20],
      steps: 1000,
      gradScale: 0.05,
      make: udPaper(1e-3),
      check: circleCheck(0.05),
    });
    run({
      constraint: circle(0.1),
      shape: [30, 20],
      steps: 1000,
      gradScale: 0.05,
      make: od(1e-3),
      check: circleCheck(0.1),
    });
  });

  test(`[${backend}] sphere, underdamped and overdamped: 1,000 steps, |m_j| = r and tangent momenta`, async () => {
    await useSelectedBackend(backend);
    run({
      constraint: sphere(1),
      shape: [12, 5],
      steps: 1000,
      gradScale: 0.1,
      make: ud(1e-3),
      check: orthoCheck,
    });
    run({
      constraint: sphere(1),
      shape: [12, 5],
      steps: 1000,
      gradScale: 0.1,
      make: od(1e-3, 0.05),
      check: residualBelow(1e-5),
    });
  });

  for (const shape of [
    [3, 3, 16, 32],
    [784, 100],
    [64, 576],
    [576, 64],
  ]) {
    test(`[${backend}] orthogonal ${shape.join('×')}: max|MᵀM − I| < 1e-5 and tangent momenta after every step (${orthoSteps(backend, shape)} steps)`, async () => {
      await useSelectedBackend(backend);
      const steps = orthoSteps(backend, shape);
      run({
        constraint: orthogonal(),
        shape,
        steps,
        gradScale: 0.01,
        make: ud(1e-4),
        check: orthoCheck,
      });
      run({
        constraint: orthogonal(),
        shape,
        steps: Math.max(2, Math.ceil(steps / 2)),
        gradScale: 0.01,
        make: od(1e-5),
        check: residualBelow(1e-5),
      });
    });
  }
}
