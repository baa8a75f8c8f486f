/**
 * Shared test helpers: backend set-up, tolerance checks and the tensor-leak guard.
 * Every test file calls `await useBackend()` (cpu by default, or REGLAB_TEST_BACKEND).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { Random } from '../src/core/random.js';
import { makeDataset, type Dataset } from '../src/data/dataset.js';

/** Selects the backend for a test file (default `cpu`; `REGLAB_TEST_BACKEND=wasm` to switch). */
export async function useBackend(name = process.env.REGLAB_TEST_BACKEND ?? 'cpu'): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend(name);
  assert.ok(ok, `backend ${name} could not be initialised`);
  await tf.ready();
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise. */
export function assertClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  { atol = 1e-6, rtol = 1e-5, message = '' } = {},
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${message} length ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(e[i]);
    assert.ok(Math.abs(a[i] - e[i]) <= tol, `${message} [${i}]: ${a[i]} vs ${e[i]} (tol ${tol})`);
  }
}

/**
 * Runs `body` `repeats` times after one warm-up and asserts the number of live tensors is the
 * same after every repeat (a leak grows it by at least one per repeat).
 */
export async function assertNoLeak(
  body: () => unknown | Promise<unknown>,
  repeats = 3,
): Promise<void> {
  await body();
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) {
    await body();
    assert.equal(tf.memory().numTensors, before, `tensor count grew on repeat ${i + 1}`);
  }
}

/** A small seeded two-class problem: 4×4 images, class = brighter left or right half. */
export function toyTwoClassData(n: number, seed: number): Dataset {
  const rng = new Random(seed);
  const x = new Float32Array(n * 16);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 16; p++)
      x[i * 16 + p] = rng.uniform() + (p % 4 < 2 === (labels[i] === 0) ? 0.5 : 0);
  }
  return makeDataset({ name: 'toy', x, labels, sampleShape: [4, 4, 1], numClasses: 2 });
}

/**
 * Checks the gradient of a scalar `loss` against central differences (f(w + ε) − f(w − ε)) / 2ε
 * in every entry of `variables`: `compare(analytic, numeric, name)` sees each pair (e.g. an
 * assertClose). The variables are restored; returns how many entries were checked.
 */
export function checkGradientByCentralDifferences(
  loss: () => tf.Scalar,
  variables: readonly tf.Variable[],
  epsilon: number,
  compare: (analytic: number, numeric: number, name: string) => void,
): number {
  const { grads } = tf.variableGrads(loss, [...variables]);
  let checked = 0;
  for (const variable of variables) {
    const analytic = grads[variable.name].dataSync();
    const values = variable.dataSync().slice();
    const set = (data: Float32Array | Int32Array | Uint8Array) =>
      tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
    const at = (i: number, delta: number) => {
      const shifted = values.slice();
      shifted[i] += delta;
      set(shifted);
      return tf.tidy(() => loss().dataSync()[0]);
    };
    for (let i = 0; i < values.length; i++) {
      const numeric = (at(i, epsilon) - at(i, -epsilon)) / (2 * epsilon);
      compare(analytic[i], numeric, `${variable.name}[${i}]`);
      checked += 1;
    }
    set(values);
  }
  tf.dispose(Object.values(grads));
  return checked;
}
