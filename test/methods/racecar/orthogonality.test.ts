import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Random } from '../../../src/core/random.js';
import { buildModel } from '../../../src/models/zoo.js';
import type { TermContext } from '../../../src/train/term.js';
import {
  frobeniusDeviation,
  orthogonality,
  sripSigma,
  sripSquared,
} from '../../../src/methods/racecar/index.js';
import { kernelMatrix } from '../../../src/models/anatomy.js';
import { assertClose, useBackend } from '../../support.js';

before(() => useBackend());

/** WᵀW − I by loops, W given row-major [rows, cols]. */
function bruteGramDeviation(w: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: cols }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += w[r * cols + i] * w[r * cols + j];
      return s - (i === j ? 1 : 0);
    }),
  );
}

function spectralNorm(a: number[][]): number {
  const eig = new EigenvalueDecomposition(new Matrix(a), { assumeSymmetric: true });
  return Math.max(...eig.realEigenvalues.map(Math.abs));
}

test('Frobenius penalty equals a brute-force ‖WᵀW − I‖²_F (dense and reshaped conv kernels)', () => {
  const rng = new Random(1);
  for (const shape of [
    [5, 3],
    [2, 2, 3, 4],
  ]) {
    tf.tidy(() => {
      const kernel = rng.normalTensor(shape);
      const m = kernelMatrix(kernel);
      assert.deepEqual(m.shape, [
        shape.slice(0, -1).reduce((a, b) => a * b, 1),
        shape[shape.length - 1],
      ]);
      const a = bruteGramDeviation(kernel.dataSync() as Float32Array, m.shape[0], m.shape[1]);
      const expected = a.flat().reduce((s, v) => s + v * v, 0);
      assertClose(frobeniusDeviation(m).dataSync()[0], expected, { rtol: 1e-5 });
    });
  }
});

test('SRIP σ: one power step is at most the spectral norm of WᵀW − I, and iterating converges to it', () => {
  const rng = new Random(2);
  for (const shape of [
    [8, 5],
    [3, 3, 2, 6],
  ]) {
    tf.tidy(() => {
      const kernel = rng.normalTensor(shape);
      const m = kernelMatrix(kernel);
      const truth = spectralNorm(
        bruteGramDeviation(kernel.dataSync() as Float32Array, m.shape[0], m.shape[1]),
      );
      for (let trial = 0; trial < 5; trial++) {
        const sigma = sripSigma(m, rng.normalTensor([m.shape[1], 1])).dataSync()[0];
        assert.ok(sigma > 0 && sigma <= truth * (1 + 1e-5), `one step σ=${sigma} vs ‖A‖₂=${truth}`);
      }
      assertClose(sripSigma(m, rng.normalTensor([m.shape[1], 1]), 300).dataSync()[0], truth, {
        rtol: 1e-3,
      });
    });
  }
});

test('the ort term sums σ² over layers; its gradient is finite and the same under the same seed', () => {
  const model = buildModel('mlp:6', { inputShape: [4], numClasses: 3, rng: new Random(3) });
  const gradients = (seed: number) =>
    tf.tidy(() => {
      const term = orthogonality({ factor: 0.1 });
      const rng = new Random(seed);
      const weights = ['dense_1', 'dense_2'].map(
        (name) => model.getLayer(name).getWeights()[0] as tf.Variable,
      );
      const { value, grads } = tf.variableGrads(
        () => term.compute({ model, rng } as unknown as TermContext),
        weights,
      );
      return [value.dataSync()[0], ...weights.flatMap((w) => Array.from(grads[w.name].dataSync()))];
    });
  const [a, b, c] = [gradients(7), gradients(7), gradients(8)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every(Number.isFinite));
  // σ² summed over the two kernels, with the same u draws
  const manual = tf.tidy(() => {
    const rng = new Random(7);
    return ['dense_1', 'dense_2']
      .map((name) => {
        const m = kernelMatrix(model.getLayer(name).getWeights()[0]);
        return sripSigma(m, rng.normalTensor([m.shape[1], 1])).dataSync()[0] ** 2;
      })
      .reduce((s, v) => s + v, 0);
  });
  assertClose(a[0], manual, { rtol: 1e-5 });
  const frobenius = tf.tidy(
    () =>
      orthogonality({ factor: 1, kind: 'frobenius', layers: ['dense_2'] })
        .compute({ model } as unknown as TermContext)
        .dataSync()[0],
  );
  assertClose(
    frobenius,
    tf.tidy(
      () =>
        frobeniusDeviation(kernelMatrix(model.getLayer('dense_2').getWeights()[0])).dataSync()[0],
    ),
  );
});

test('matrix-free SRIP σ² and its gradient equal the explicit-Gram formula (A = WᵀW − I formed, autodiff)', () => {
  const rng = new Random(4);
  const normalize = (x: tf.Tensor) => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x)), 1e-12)));
  /** The official formula with A materialised: v = n(Aᵀu), u = n(Av), σ = |uᵀAv|, squared. */
  const explicit = (w: tf.Tensor2D, u0: tf.Tensor, iterations: number) => {
    const a = tf.sub(tf.matMul(w, w, true, false), tf.eye(w.shape[1])) as tf.Tensor2D;
    let u = u0 as tf.Tensor2D;
    let v = u;
    for (let k = 0; k < iterations; k++) {
      v = normalize(tf.matMul(a, u, true, false)) as tf.Tensor2D;
      u = normalize(tf.matMul(a, v)) as tf.Tensor2D;
    }
    return tf.square(tf.abs(tf.sum(tf.mul(u, tf.matMul(a, v)))));
  };
  for (const [shape, iterations] of [
    [[7, 4], 1],
    [[3, 3, 2, 5], 1],
    [[6, 6], 3],
  ] as [number[], number][]) {
    tf.tidy(() => {
      const kernel = rng.normalTensor(shape);
      const u0 = rng.normalTensor([shape[shape.length - 1], 1]);
      const fast = tf.valueAndGrad((k: tf.Tensor) => sripSquared(kernelMatrix(k), u0, iterations))(
        kernel,
      );
      const slow = tf.valueAndGrad(
        (k: tf.Tensor) => explicit(kernelMatrix(k), u0, iterations) as tf.Scalar,
      )(kernel);
      assertClose(fast.value.dataSync()[0], slow.value.dataSync()[0], { rtol: 1e-4 });
      const [g1, g2] = [fast.grad.dataSync(), slow.grad.dataSync()];
      const scale = Math.max(...Array.from(g2, Math.abs));
      g1.forEach((g, i) =>
        assert.ok(Math.abs(g - g2[i]) <= 1e-4 * scale, `grad ${i}: ${g} vs ${g2[i]}`),
      );
      assertClose(
        sripSigma(kernelMatrix(kernel), u0, iterations).dataSync()[0],
        Math.sqrt(slow.value.dataSync()[0]),
        { rtol: 1e-4 },
      );
    });
  }
});
