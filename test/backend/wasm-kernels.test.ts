/**
 * reglab's wasm kernel fixes against the cpu backend (values and gradients, 1e-5 relative to the
 * tensor's scale), plus install/uninstall and leak checks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Random } from '../../src/core/random.js';
import {
  WASM_KERNEL_FIXES,
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from '../../src/backend/wasm-kernels.js';
import { assertClose, assertNoLeak } from '../support.js';

/** Seeded normal values for a tensor of `shape` (the same on every backend). */
function data(shape: number[], seed: number): tf.Tensor {
  const rng = new Random(seed);
  const values = Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal());
  return tf.tensor(values, shape);
}

/** Runs `f` on cpu and on wasm and returns the flattened outputs of each. */
async function onBoth(
  f: () => tf.Tensor | tf.Tensor[],
): Promise<Record<'cpu' | 'wasm', Float32Array[]>> {
  const out = { cpu: [] as Float32Array[], wasm: [] as Float32Array[] };
  for (const name of ['cpu', 'wasm'] as const) {
    await tf.setBackend(name);
    const result = tf.tidy(f);
    const list = Array.isArray(result) ? result : [result];
    out[name] = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
  }
  await tf.setBackend('wasm');
  return out;
}

/** Asserts wasm matches cpu to 1e-5 relative to each output's largest magnitude. */
async function assertWasmMatchesCpu(
  f: () => tf.Tensor | tf.Tensor[],
  message: string,
): Promise<void> {
  const { cpu, wasm } = await onBoth(f);
  assert.equal(wasm.length, cpu.length);
  cpu.forEach((expected, i) => {
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(wasm[i], expected, {
      rtol: 1e-5,
      atol: 1e-5 * scale,
      message: `${message} output ${i}`,
    });
  });
}

before(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  installWasmKernelFixes();
});
after(() => uninstallWasmKernelFixes());

describe('transposed matmul fix', () => {
  const flags = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const;

  test('BatchMatMul values, rank 2 and broadcast rank 3, every transpose combination', async () => {
    for (const [tA, tB] of flags) {
      await assertWasmMatchesCpu(() => {
        const a = data(tA ? [5, 7] : [7, 5], 1);
        const b = data(tB ? [6, 5] : [5, 6], 2);
        const a3 = data(tA ? [3, 5, 4] : [3, 4, 5], 3);
        const b3 = data(tB ? [1, 6, 5] : [1, 5, 6], 4);
        return [tf.matMul(a, b, tA, tB), tf.matMul(a3, b3, tA, tB)];
      }, `transposeA=${tA} transposeB=${tB}`);
    }
  });

  test('_FusedMatMul with bias and relu, and matmul gradients', async () => {
    for (const [tA, tB] of flags) {
      await assertWasmMatchesCpu(() => {
        const a = data(tA ? [9, 8] : [8, 9], 5);
        const b = data(tB ? [4, 9] : [9, 4], 6);
        const fused = tf.fused.matMul({
          a,
          b,
          transposeA: tA,
          transposeB: tB,
          bias: data([4], 7),
          activation: 'relu',
        });
        const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(x, y, tA, tB))),
        )([a, b]);
        return [fused, ...grads];
      }, `fused transposeA=${tA} transposeB=${tB}`);
    }
  });

  test('a transposed operand that changes between calls gives fresh results (no stale cache)', async () => {
    await assertWasmMatchesCpu(() => {
      const a = data([6, 5], 8);
      return [1, 2, 3].map((seed) => tf.matMul(a, data([4, 5], 10 + seed), false, true));
    }, 'changing b');
  });
});

describe('conv gradients on wasm (Conv2DBackpropFilter, Conv2DBackpropInput)', () => {
  // [N, H, W, inC], kernel size, outC, stride, pad
  const configs: Array<[number[], number, number, number, 'same' | 'valid' | number]> = [
    [[2, 7, 7, 3], 3, 4, 1, 'same'],
    [[2, 7, 7, 3], 3, 4, 1, 'valid'],
    [[2, 8, 6, 2], 3, 5, 2, 'same'],
    [[2, 8, 6, 2], 3, 5, 2, 'valid'],
    [[3, 9, 10, 2], 5, 3, 2, 'same'],
    [[1, 9, 8, 4], 5, 2, 1, 'valid'],
    [[2, 6, 7, 1], 3, 2, 2, 1],
    [[2, 10, 11, 3], 5, 2, 3, 'valid'],
  ];
  for (const [xShape, k, outC, stride, pad] of configs) {
    test(`x ${xShape}, ${k}×${k}×${outC}, stride ${stride}, pad ${pad}: values and gradients`, async () => {
      await assertWasmMatchesCpu(() => {
        const x = data(xShape, 20) as tf.Tensor4D;
        const w = data([k, k, xShape[3], outC], 21) as tf.Tensor4D;
        const y = tf.conv2d(x, w, stride, pad);
        const r = data(y.shape, 22);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), r)),
        )([x, w]);
        return [y, dx, dw];
      }, `conv ${xShape} k${k} s${stride} ${pad}`);
    });
  }

  test('a tiny conv model gives the same variable gradients as on cpu', async () => {
    await assertWasmMatchesCpu(() => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: [10, 10, 1],
            filters: 4,
            kernelSize: 3,
            activation: 'relu',
          }),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.conv2d({
            filters: 6,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3 }),
        ],
      });
      model.setWeights(model.getWeights().map((w, i) => data(w.shape, 30 + i)));
      const x = data([4, 10, 10, 1], 40);
      const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.predict(x) as tf.Tensor) as tf.Scalar,
        vars,
      );
      const out = vars.map((v) => grads[v.name]);
      model.dispose();
      return out;
    }, 'conv model');
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  test('values (with an empty segment) and the gradient of gather', async () => {
    await assertWasmMatchesCpu(() => {
      const x = data([6, 3], 50);
      const sum1 = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 3, 0, 1], 'int32'), 4);
      // An empty segment (3) must come out as zeros: makeOutput does not zero the wasm heap.
      const sum2 = tf.unsortedSegmentSum(data([3, 2, 2], 51), tf.tensor1d([1, 0, 1], 'int32'), 4);
      const table = data([5, 4], 52);
      const idx = tf.tensor1d([4, 1, 1, 0, 4, 4], 'int32');
      const dTable = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx))))(table);
      return [sum1, sum2, dTable];
    }, 'segment sum');
  });
});

describe('install and leaks', () => {
  test('uninstall restores the stock kernels and install registers the fixes again', () => {
    assert.ok(wasmKernelFixesInstalled());
    const fixed = tf.getKernel(tf.BatchMatMul, 'wasm');
    uninstallWasmKernelFixes();
    assert.ok(!wasmKernelFixesInstalled());
    assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), undefined);
    const stock = tf.getKernel(tf.BatchMatMul, 'wasm');
    assert.ok(stock && stock !== fixed);
    installWasmKernelFixes();
    const again = tf.getKernel(tf.BatchMatMul, 'wasm');
    installWasmKernelFixes(); // idempotent
    assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), again);
    assert.notEqual(again, stock);
    assert.equal(again?.setupFunc, stock.setupFunc, 'the stock setup is kept');
    for (const name of WASM_KERNEL_FIXES) assert.ok(tf.getKernel(name, 'wasm'), name);
  });

  test('no tensor, byte or wasm buffer leak in the fixed kernels', async () => {
    await tf.setBackend('wasm');
    const x = data([2, 8, 8, 3], 60) as tf.Tensor4D;
    const w = data([3, 3, 3, 4], 61) as tf.Tensor4D;
    const a = data([16, 8], 62);
    const step = () => {
      tf.tidy(() => {
        tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same')),
        )([x, w]);
        tf.grad((p: tf.Tensor) => tf.sum(tf.matMul(p, p, true, false)))(a);
        tf.grad((p: tf.Tensor) => tf.sum(tf.gather(p, tf.tensor1d([1, 1, 3], 'int32'))))(a);
      });
      return tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
    };
    await assertNoLeak(step);
    const first = step();
    for (let i = 0; i < 3; i++) {
      const now = step();
      assert.equal(now.numBytes, first.numBytes, 'numBytes grew');
      assert.equal(now.numDataBuffers, first.numDataBuffers, 'wasm data buffers grew');
    }
    tf.dispose([x, w, a]);
  });
});
