/**
 * The `native` backend's kernels against tfjs-backend-cpu, the oracle: values and gradients of
 * every native kernel to 1e-5 relative (max |native − cpu| ≤ 1e-5 · max |cpu|: sums of products
 * cancel, so an elementwise relative bound would be meaningless near zero), over odd shapes,
 * every transpose flag, batch broadcasting, strides 1/2, same/valid/explicit padding, ties.
 * Each kernel is run with OpenBLAS and with the built-in GEMM when the addon has both, and each
 * test checks that the native path ran (not the cpu fallback). Then the backend's storage:
 * reused buffers never change a value anyone can still see, deferred products are computed when
 * read and skipped when disposed unread, nothing leaks, and training steps match the cpu backend.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients
import '@tensorflow/tfjs-backend-cpu';
import { Random } from '../../src/core/random.js';
import {
  fillNormalScript,
  fillUnitColumns,
  useNormalKernels,
  zigguratTables,
} from '../../src/core/fast-normal.js';
import { loadNativeAddon, nativeAddonProblem } from '../../src/backend/native-addon.js';
import { registerNativeBackend } from '../../src/backend/native-backend.js';
import { nativeKernelCounts } from '../../src/backend/native-kernels.js';
import { makeBatch, makeDataset } from '../../src/data/dataset.js';
import { PROJECTED_ERROR_KERNEL } from '../../src/backend/fused-kernels.js';
import { projectedError, projectedErrorScalar } from '../../src/methods/per/projected-error.js';
import { buildModel } from '../../src/models/zoo.js';
import { Trainer } from '../../src/train/trainer.js';

const addon = loadNativeAddon();
const skip = addon
  ? false
  : `native addon not built (${nativeAddonProblem()}); run npm run build:native`;
if (addon) registerNativeBackend();
const gemms: ('openblas' | 'builtin')[] = addon?.info().openblas
  ? ['openblas', 'builtin']
  : ['builtin'];

/** Seeded values in [lo, hi). */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

let seedCounter = 100;
/** A tensor factory: the same values on whichever backend is active when it is called. */
function input(shape: number[], lo = -1, hi = 1): () => tf.Tensor {
  const data = values(tf.util.sizeFromShape(shape), seedCounter++, lo, hi);
  return () => tf.tensor(data, shape);
}

/** Runs `f` on `backend` and returns its outputs' shapes and values. */
async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => ({
      shape: t.shape,
      values: t.dataSync() as Float32Array,
    }));
  });
}

/** max |a − b| ≤ tol · max |b| for every output, NaN where the oracle has NaN. */
function assertClose(
  native: { shape: number[]; values: Float32Array }[],
  cpu: { shape: number[]; values: Float32Array }[],
  what: string,
  tol = 1e-5,
): void {
  assert.equal(native.length, cpu.length, what);
  native.forEach((out, i) => {
    const ref = cpu[i];
    assert.deepEqual(out.shape, ref.shape, `${what}: output ${i} shape`);
    let scale = 0;
    for (const v of ref.values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    ref.values.forEach((v, j) => {
      const w = out.values[j];
      if (Number.isNaN(v)) assert.ok(Number.isNaN(w), `${what}: output ${i}[${j}] = ${w}, cpu NaN`);
      else if (!Number.isFinite(v)) assert.equal(w, v, `${what}: output ${i}[${j}]`);
      else worst = Math.max(worst, Math.abs(w - v));
    });
    assert.ok(
      worst <= tol * Math.max(scale, 1e-30),
      `${what}: output ${i} differs by ${worst} (scale ${scale})`,
    );
  });
}

/** Compares `f` on native and cpu, and checks that `kernels` ran natively. */
async function check(
  what: string,
  kernels: string[],
  f: () => tf.Tensor | tf.Tensor[],
  tol = 1e-5,
) {
  const before = kernels.map((k) => nativeKernelCounts.native.get(k) ?? 0);
  const fallbacks = kernels.map((k) => nativeKernelCounts.fallback.get(k) ?? 0);
  const native = await on('native', f);
  kernels.forEach((k, i) => {
    assert.ok(
      (nativeKernelCounts.native.get(k) ?? 0) > before[i],
      `${what}: ${k} did not run natively`,
    );
    assert.equal(
      nativeKernelCounts.fallback.get(k) ?? 0,
      fallbacks[i],
      `${what}: ${k} fell back to cpu`,
    );
  });
  assertClose(native, await on('cpu', f), what, tol);
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const;

for (const gemm of gemms) {
  describe(`native kernels, ${gemm} GEMM`, { skip }, () => {
    test('setup', () => assert.ok(addon!.setGemm(gemm)));

    test('BatchMatMul: odd and blocked sizes, every transpose flag, batch broadcast', async () => {
      // Small (naive path), tiles with edges, K > 256 (two depth blocks), M > 128, N > 2048.
      const sizes = [
        [7, 13, 5],
        [1, 9, 1],
        [33, 65, 17],
        [130, 70, 40],
        [20, 300, 40],
        [260, 30, 20],
        [5, 17, 2100],
      ];
      for (const [m, k, n] of sizes) {
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          const a = input(ta ? [k, m] : [m, k]);
          const b = input(tb ? [n, k] : [k, n]);
          await check(`${m}×${k}×${n} ${ta} ${tb}`, [tf.BatchMatMul], () =>
            tf.matMul(a(), b(), ta, tb),
          );
        }
      }
      const a3 = input([3, 6, 4]);
      const b3 = input([3, 4, 5]);
      const b1 = input([1, 4, 5]);
      const a1 = input([1, 5, 6]);
      await check('batch 3', [tf.BatchMatMul], () => tf.matMul(a3(), b3()));
      await check('b broadcast', [tf.BatchMatMul], () => tf.matMul(a3(), b1()));
      await check('a broadcast, transposed', [tf.BatchMatMul], () =>
        tf.matMul(a1(), b3(), true, true),
      );
    });

    test('Gram products XᵀX and XXᵀ of one tensor (the symmetric path): values, gradients, exact symmetry', async () => {
      // Small, one block, several 96-blocks with edges, K > 256, batches (the path is taken
      // when both operands are the same array with opposite transpose flags).
      for (const [rows, cols] of [
        [7, 5],
        [40, 33],
        [300, 130],
        [130, 300],
        [517, 200],
      ]) {
        const x = input([rows, cols]);
        for (const ta of [true, false]) {
          const what = `${rows}×${cols} ${ta ? 'XᵀX' : 'XXᵀ'}`;
          await check(what, [tf.BatchMatMul], () => tf.matMul(x(), x(), ta, !ta));
          await check(`${what} gradient`, [tf.BatchMatMul], () =>
            tf.grad((t: tf.Tensor) => tf.sum(tf.sin(tf.matMul(t, t, ta, !ta))))(x()),
          );
          await check(`${what} + bias, relu`, [tf._FusedMatMul], () => {
            const t = x() as tf.Tensor2D;
            const n = ta ? cols : rows;
            return tf.fused.matMul({
              a: t,
              b: t,
              transposeA: ta,
              transposeB: !ta,
              bias: tf.linspace(-1, 1, n),
              activation: 'relu',
            });
          });
          // The upper triangle is mirrored: exactly symmetric (OpenBLAS's general GEMM of the
          // same operands, here through a copy, is not in the last bit; the built-in one is,
          // as it sums every entry in the same order).
          const [gram, viaCopy] = (await on('native', () => {
            const t = x();
            return [tf.matMul(t, t, ta, !ta), tf.matMul(t, tf.add(t, 0), ta, !ta)];
          })) as { shape: number[]; values: Float32Array }[];
          const n = gram.shape[0];
          let asymmetric = 0;
          for (let i = 0; i < n; i++)
            for (let j = 0; j < i; j++) {
              assert.equal(gram.values[i * n + j], gram.values[j * n + i], `${what} [${i},${j}]`);
              if (viaCopy.values[i * n + j] !== viaCopy.values[j * n + i]) asymmetric++;
            }
          if (gemm === 'openblas' && rows * cols > 10_000)
            assert.ok(asymmetric > 0, `${what}: the copy took the same path`);
        }
      }
      const x3 = input([3, 20, 9]);
      await check('batch 3 XᵀX', [tf.BatchMatMul], () => tf.matMul(x3(), x3(), true, false));
      await check('batch 3 XXᵀ', [tf.BatchMatMul], () => tf.matMul(x3(), x3(), false, true));
    });

    test('_FusedMatMul: bias and every fused activation, values and gradients', async () => {
      const a = input([9, 14]);
      const b = input([14, 6]);
      const bias = input([6]);
      const r = input([9, 6]);
      for (const activation of ACTIVATIONS) {
        const f = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.fused.matMul({
                a: x as tf.Tensor2D,
                b: w as tf.Tensor2D,
                bias: c,
                activation,
                leakyreluAlpha: 0.3,
              }),
              r(),
            ),
          );
        await check(`fused ${activation}`, [tf._FusedMatMul], () =>
          tf.fused.matMul({
            a: a() as tf.Tensor2D,
            b: b() as tf.Tensor2D,
            bias: bias(),
            activation,
            leakyreluAlpha: 0.3,
          }),
        );
        // Under a gradient tape tfjs fuses only linear activations (ops/fused/mat_mul.ts shouldFuse).
        const kernels =
          activation === 'linear' ? [tf._FusedMatMul, tf.BatchMatMul] : [tf.BatchMatMul];
        await check(`fused ${activation} gradients`, kernels, () =>
          tf.grads(f)([a(), b(), bias()]),
        );
      }
      // A bias along another axis, or a full matrix: the cpu kernel's general broadcast.
      for (const shape of [
        [9, 1],
        [9, 6],
      ]) {
        const other = input(shape);
        const before = nativeKernelCounts.fallback.get(tf._FusedMatMul) ?? 0;
        const f = () =>
          tf.fused.matMul({ a: a() as tf.Tensor2D, b: b() as tf.Tensor2D, bias: other() });
        assertClose(await on('native', f), await on('cpu', f), `bias [${shape}]`);
        assert.equal(
          nativeKernelCounts.fallback.get(tf._FusedMatMul),
          before + 1,
          `bias [${shape}] ran natively`,
        );
      }
      const at = input([14, 9]);
      await check('fused transposeA + bias', [tf._FusedMatMul], () =>
        tf.fused.matMul({
          a: at() as tf.Tensor2D,
          b: b() as tf.Tensor2D,
          transposeA: true,
          bias: bias(),
          activation: 'relu',
        }),
      );
    });

    test('Conv2D and FusedConv2D: strides, padding, dilation, 1×1, chunked batches', async () => {
      const cases: {
        x: number[];
        f: number[];
        strides: number | [number, number];
        pad:
          | 'same'
          | 'valid'
          | number
          | [[number, number], [number, number], [number, number], [number, number]];
        dilations?: number;
      }[] = [
        { x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
        { x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 2, pad: 'valid' },
        { x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
        { x: [1, 8, 11, 2], f: [2, 3, 2, 4], strides: [2, 1], pad: 'same' },
        { x: [2, 9, 9, 2], f: [3, 3, 2, 3], strides: 1, pad: 'valid', dilations: 2 },
        {
          x: [2, 7, 6, 3],
          f: [3, 3, 3, 2],
          strides: 1,
          pad: [
            [0, 0],
            [1, 2],
            [0, 1],
            [0, 0],
          ],
        },
        { x: [3, 5, 5, 4], f: [1, 1, 4, 6], strides: 1, pad: 'valid' },
        { x: [9, 30, 30, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same' }, // > one im2col chunk
      ];
      for (const c of cases) {
        const x = input(c.x);
        const f = input(c.f);
        const bias = input([c.f[3]]);
        const what = `conv x[${c.x}] f[${c.f}] s${c.strides} ${JSON.stringify(c.pad)} d${c.dilations ?? 1}`;
        await check(what, [tf.Conv2D], () =>
          tf.conv2d(
            x() as tf.Tensor4D,
            f() as tf.Tensor4D,
            c.strides,
            c.pad,
            'NHWC',
            c.dilations ?? 1,
          ),
        );
        await check(`${what} fused relu`, [tf.FusedConv2D], () =>
          tf.fused.conv2d({
            x: x() as tf.Tensor4D,
            filter: f() as tf.Tensor4D,
            strides: c.strides,
            pad: c.pad,
            dilations: c.dilations ?? 1,
            bias: bias(),
            activation: 'relu',
          }),
        );
      }
    });

    test('Conv2D gradients: Conv2DBackpropInput and Conv2DBackpropFilter', async () => {
      const cases: {
        x: number[];
        f: number[];
        strides: number | [number, number];
        pad: 'same' | 'valid' | number;
      }[] = [
        { x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
        { x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 2, pad: 'valid' },
        { x: [2, 10, 9, 2], f: [3, 2, 2, 4], strides: 2, pad: 'same' },
        { x: [1, 6, 6, 3], f: [1, 1, 3, 2], strides: 1, pad: 'valid' },
        { x: [2, 8, 8, 2], f: [3, 3, 2, 3], strides: 1, pad: 1 },
        { x: [9, 30, 30, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same' },
      ];
      for (const c of cases) {
        const x = input(c.x);
        const f = input(c.f);
        const outShape = tf.tidy(
          () => tf.conv2d(x() as tf.Tensor4D, f() as tf.Tensor4D, c.strides, c.pad).shape,
        );
        const r = input(outShape);
        const loss = (a: tf.Tensor, w: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), r()));
        await check(
          `conv grads x[${c.x}] f[${c.f}] s${c.strides} ${c.pad}`,
          [tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter],
          () => tf.grads(loss)([x(), f()]),
        );
      }
    });

    test('MaxPool and MaxPoolGrad: windows, strides, padding, ties', async () => {
      const shapes = [
        [2, 9, 7, 3],
        [1, 8, 8, 5],
      ];
      const pools: [number, number, 'same' | 'valid'][] = [
        [2, 2, 'valid'],
        [2, 2, 'same'],
        [3, 2, 'same'],
        [3, 1, 'valid'],
      ];
      for (const shape of shapes) {
        const random = input(shape);
        // Many ties: small integers, and ReLU zeros.
        const tiedData = values(tf.util.sizeFromShape(shape), 7).map((v) => Math.round(v * 1.5));
        const tied = () => tf.relu(tf.tensor(tiedData, shape));
        for (const [size, stride, pad] of pools) {
          for (const [name, x] of [
            ['random', random],
            ['ties', tied],
          ] as const) {
            const what = `pool ${name} [${shape}] ${size}/${stride} ${pad}`;
            await check(what, [tf.MaxPool], () =>
              tf.maxPool(x() as tf.Tensor4D, size, stride, pad),
            );
            const outShape = tf.tidy(() => tf.maxPool(x() as tf.Tensor4D, size, stride, pad).shape);
            const r = input(outShape);
            await check(`${what} gradient`, [tf.MaxPoolGrad], () =>
              tf.grad((a: tf.Tensor) =>
                tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), r())),
              )(x()),
            );
          }
        }
      }
    });

    test('AvgPool: windows, strides, same/valid padding (edge windows average their inside cells)', async () => {
      for (const shape of [
        [2, 9, 7, 3],
        [3, 8, 8, 16],
      ]) {
        const x = input(shape);
        for (const [size, stride, pad] of [
          [2, 2, 'valid'],
          [2, 2, 'same'],
          [3, 2, 'same'],
          [3, 1, 'valid'],
        ] as [number, number, 'same' | 'valid'][]) {
          await check(`avg pool [${shape}] ${size}/${stride} ${pad}`, [tf.AvgPool], () =>
            tf.avgPool(x() as tf.Tensor4D, size, stride, pad),
          );
        }
      }
    });
  });
}

describe('native elementwise, reduction and transpose kernels', { skip }, () => {
  test('binary ops with broadcasting, NaN through max/min', async () => {
    const pairs = [
      [[2, 3, 4], [4]],
      [
        [2, 1, 4],
        [3, 1],
      ],
      [[5], []],
      [[], [5]],
      [
        [2, 3],
        [2, 3],
      ],
      [
        [1, 1, 3],
        [2, 1, 1],
      ],
      [
        [64, 80],
        [64, 80],
      ],
    ];
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      [tf.Add, tf.add],
      [tf.Sub, tf.sub],
      [tf.Multiply, tf.mul],
      [tf.RealDiv, tf.div],
      [tf.Maximum, tf.maximum],
      [tf.Minimum, tf.minimum],
      [tf.SquaredDifference, tf.squaredDifference],
    ];
    for (const [sa, sb] of pairs) {
      const a = input(sa);
      const b = input(sb, 0.5, 2);
      for (const [name, op] of ops)
        await check(`${name} [${sa}] [${sb}]`, [name], () => op(a(), b()));
    }
    const nanA = () => tf.tensor1d([NaN, 1, 2, NaN]);
    const nanB = () => tf.tensor1d([0, NaN, 3, 1]);
    await check('max NaN', [tf.Maximum], () => tf.maximum(nanA(), nanB()));
    await check('min NaN', [tf.Minimum], () => tf.minimum(nanA(), nanB()));
    const parts = [input([3, 7]), input([3, 7]), input([3, 7])];
    await check('AddN', [tf.AddN], () => tf.addN(parts.map((p) => p())));
  });

  test('unary ops, NaN and zeros included', async () => {
    const mixedData = values(999, 3, -3, 3);
    mixedData[0] = 0;
    mixedData[1] = NaN;
    const mixed = () => tf.tensor1d(mixedData);
    const positive = input([999], 0.01, 4);
    const ops: [string, (x: tf.Tensor) => tf.Tensor, () => tf.Tensor][] = [
      [tf.Relu, tf.relu, mixed],
      [tf.Relu6, (x) => tf.relu6(tf.mul(x, 3)), mixed],
      [tf.Step, (x) => tf.step(x, 0.3), mixed],
      [tf.Neg, tf.neg, mixed],
      [tf.Exp, tf.exp, mixed],
      [tf.Log, tf.log, positive],
      [tf.Sqrt, tf.sqrt, positive],
      [tf.Rsqrt, tf.rsqrt, positive],
      [tf.Square, tf.square, mixed],
      [tf.Abs, tf.abs, mixed],
      [tf.Sigmoid, tf.sigmoid, mixed],
      [tf.Tanh, tf.tanh, mixed],
      [tf.Elu, tf.elu, mixed],
      [tf.LeakyRelu, (x) => tf.leakyRelu(x, 0.2), mixed],
      [tf.Reciprocal, tf.reciprocal, positive],
      [tf.Erf, tf.erf, mixed],
    ];
    // Elementwise results are compared elementwise: 1e-5 of each value, not of the largest.
    for (const [name, op, x] of ops) {
      const native = await on('native', () => op(x()));
      const cpu = await on('cpu', () => op(x()));
      assert.ok((nativeKernelCounts.native.get(name) ?? 0) > 0, `${name} did not run natively`);
      cpu[0].values.forEach((v, i) => {
        const w = native[0].values[i];
        if (Number.isNaN(v)) assert.ok(Number.isNaN(w), `${name}[${i}]: ${w} for NaN`);
        else
          assert.ok(
            Math.abs(w - v) <= 1e-5 * Math.abs(v) + 1e-30,
            `${name}(${mixedData[i]}) = ${w}, cpu ${v}`,
          );
      });
    }
  });

  test('Sum, Max, Min, Mean over every axis pattern, keepDims', async () => {
    const x = input([4, 5, 6]);
    const axes: (number | number[] | undefined)[] = [
      0,
      1,
      2,
      -1,
      [0, 1],
      [1, 2],
      [0, 2],
      [2, 0],
      undefined,
    ];
    const ops: [
      string,
      (t: tf.Tensor, axis: number | number[] | undefined, keep: boolean) => tf.Tensor,
    ][] = [
      [tf.Sum, (t, a, k) => tf.sum(t, a, k)],
      [tf.Max, (t, a, k) => tf.max(t, a, k)],
      [tf.Min, (t, a, k) => tf.min(t, a, k)],
      [tf.Mean, (t, a, k) => tf.mean(t, a, k)],
    ];
    for (const [name, op] of ops) {
      for (const axis of axes) {
        for (const keep of [false, true]) {
          await check(`${name} axis ${JSON.stringify(axis)} keepDims ${keep}`, [name], () =>
            op(x(), axis, keep),
          );
        }
      }
    }
    const nan = () => tf.tensor2d([1, NaN, 3, 4, 5, 6], [2, 3]);
    await check('max with NaN', [tf.Max], () => tf.max(nan(), 1));
  });

  test('Softmax over the last axis, large logits and NaN', async () => {
    const logits = input([33, 10], -30, 30);
    await check('softmax', [tf.Softmax], () => tf.softmax(logits()));
    const odd = () => tf.tensor2d([1000, 1001, 999, NaN, 1, 2], [2, 3]);
    await check('softmax large and NaN', [tf.Softmax], () => tf.softmax(odd()));
  });

  test('GatherV2 along every axis, 2-D indices, the bounds check', async () => {
    const x = input([6, 5, 4]);
    const rows = (limit: number) =>
      tf.tensor1d(
        [5, 0, 2, 2].map((i) => Math.min(i, limit)),
        'int32',
      );
    const grid = () => tf.tensor2d([3, 1, 0, 3, 2, 2], [2, 3], 'int32');
    for (const axis of [0, 1, 2, -1])
      await check(`gather axis ${axis}`, [tf.GatherV2], () =>
        tf.gather(x(), rows(axis === 0 ? 5 : axis === 1 ? 4 : 3), axis),
      );
    await check('gather 2-D indices', [tf.GatherV2], () => tf.gather(x(), grid(), 1));
    const labels = () => tf.oneHot(tf.tensor1d([3, 0, 2, 1, 4], 'int32'), 5); // int32 rows
    await check('gather int32', [tf.GatherV2], () =>
      tf.cast(tf.gather(labels(), rows(4)), 'float32'),
    );
    await tf.setBackend('native');
    assert.throws(
      () => tf.gather(x(), tf.tensor1d([6], 'int32')),
      /index value 6 is not in \[0, 5\]/,
    );
  });

  test('UnsortedSegmentSum (the gradient of an embedding lookup) and SplitV along every axis', async () => {
    const x = input([6, 5, 4]);
    const ids = () => tf.tensor1d([3, 0, 3, 7, -1, 1], 'int32'); // 7 and −1 are dropped
    await check('segment sum', [tf.UnsortedSegmentSum], () => tf.unsortedSegmentSum(x(), ids(), 5));
    const table = input([9, 3]);
    const lookup = () => tf.tensor1d([4, 4, 0, 8, 2], 'int32');
    await check('gather gradient', [tf.UnsortedSegmentSum], () =>
      tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(t, lookup()), tf.reshape(tf.range(1, 16), [5, 3]))),
      )(table()),
    );
    for (const axis of [0, 1, 2, -1])
      await check(`split axis ${axis}`, [tf.SplitV], () =>
        tf.split(x(), axis === 0 ? [1, 2, 3] : axis === 1 ? 5 : 2, axis),
      );
  });

  test('Slice on 1- to 5-D tensors: begin/size, size −1, full and empty slices; exactly the cpu values', async () => {
    const cases: [number[], number[], number[]][] = [
      [[11], [3], [5]],
      [[11], [0], [-1]],
      [
        [7, 9],
        [2, 1],
        [4, 7],
      ],
      [
        [7, 9],
        [0, 4],
        [7, -1],
      ], // inner run only
      [
        [7, 9],
        [3, 0],
        [2, 9],
      ], // whole rows: one run
      [
        [4, 6, 5],
        [1, 2, 0],
        [2, 3, 5],
      ],
      [
        [4, 6, 5],
        [0, 0, 0],
        [4, 6, 5],
      ], // the full tensor
      [
        [4, 6, 5],
        [1, 0, 2],
        [2, 0, 3],
      ], // empty
      [
        [4, 6, 5, 7],
        [1, 2, 0, 3],
        [2, 3, 5, 4],
      ],
      [
        [2, 8, 2, 6],
        [0, 0, 1, 0],
        [2, 8, 1, 6],
      ], // the option-A shortcut's row pick
      [
        [3, 4, 2, 5, 6],
        [1, 1, 0, 2, 1],
        [-1, 2, 2, 3, -1],
      ],
    ];
    for (const [shape, begin, extent] of cases) {
      const x = input(shape);
      // Exactly: a copy (tol 0).
      await check(
        `slice [${shape}] at [${begin}] size [${extent}]`,
        [tf.Slice],
        () => tf.slice(x(), begin, extent),
        0,
      );
    }
    await tf.setBackend('native');
    assert.throws(() => tf.slice(tf.zeros([3, 4]), [2, 0], [2, 4]), /begin.*size.*shape/i);
  });

  test('PadV2 with constant 0 and 2.5, paddings before/after and zeros, 1- to 4-D; exactly the cpu values', async () => {
    const cases: [number[], [number, number][]][] = [
      [[5], [[2, 3]]],
      [[5], [[0, 0]]],
      [
        [4, 6],
        [
          [1, 0],
          [0, 2],
        ],
      ],
      [
        [4, 6],
        [
          [0, 0],
          [3, 1],
        ],
      ],
      [
        [2, 3, 4],
        [
          [0, 2],
          [1, 1],
          [0, 0],
        ],
      ],
      [
        [3, 5, 5, 4],
        [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ],
      ], // the shortcut's pad to even H, W
      [
        [3, 5, 5, 4],
        [
          [0, 0],
          [0, 0],
          [0, 0],
          [2, 6],
        ],
      ], // its new channels
      [
        [2, 3, 4, 5],
        [
          [1, 2],
          [0, 1],
          [2, 0],
          [1, 3],
        ],
      ],
      [
        [2, 0, 3],
        [
          [1, 0],
          [0, 2],
          [1, 1],
        ],
      ], // empty input
    ];
    for (const [shape, paddings] of cases) {
      const x = input(shape);
      for (const value of [0, 2.5])
        await check(
          `pad [${shape}] by ${JSON.stringify(paddings)} with ${value}`,
          [tf.PadV2],
          () => tf.pad(x(), paddings, value),
          0,
        );
    }
    // Large outputs come from the pool, not zeroed: the zeros must be written.
    const big = input([8, 8, 8, 8]);
    const junk = input([8, 9, 9, 8]);
    await check(
      'pad into a reused buffer',
      [tf.PadV2],
      () => {
        tf.add(junk(), 1).dispose(); // a pooled array of the output's length, now free
        return tf.pad(big(), [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ]);
      },
      0,
    );
  });

  test('Tile on 1- to 4-D tensors, multiples of 1 included; exactly the cpu values', async () => {
    const cases: [number[], number[]][] = [
      [[5], [3]],
      [[5], [1]],
      [
        [3, 4],
        [2, 1],
      ],
      [
        [3, 4],
        [1, 3],
      ],
      [
        [3, 4],
        [2, 3],
      ],
      [
        [2, 1, 3],
        [1, 4, 2],
      ],
      [
        [2, 1, 3, 5],
        [3, 2, 1, 2],
      ],
      [
        [1, 1, 1, 6],
        [4, 3, 5, 1],
      ], // the batch-norm gradient's per-channel factor
      [
        [2, 3, 2, 2],
        [1, 1, 1, 1],
      ],
      [
        [2, 3],
        [0, 2],
      ], // empty output
    ];
    for (const [shape, reps] of cases) {
      const x = input(shape);
      await check(`tile [${shape}] by [${reps}]`, [tf.Tile], () => tf.tile(x(), reps), 0);
    }
  });

  test('gradients through slice, pad and tile (PadV2, Slice) and the batch-norm gradient (Tile) equal cpu', async () => {
    const x = input([3, 6, 5, 4]);
    const w = (shape: number[]) => tf.reshape(tf.range(1, tf.util.sizeFromShape(shape) + 1), shape);
    await check(
      'gradient of a weighted slice sum',
      [tf.PadV2],
      () =>
        tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(tf.slice(t, [1, 2, 0, 1], [2, 3, 5, 2]), w([2, 3, 5, 2]))),
        )(x()),
      0,
    );
    await check(
      'gradient of a weighted pad sum',
      [tf.Slice],
      () =>
        tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.pad(
                t,
                [
                  [0, 1],
                  [2, 0],
                  [1, 1],
                  [0, 3],
                ],
                0.5,
              ),
              w([4, 8, 7, 7]),
            ),
          ),
        )(x()),
      0,
    );
    await check(
      'gradient of a weighted tile sum',
      [tf.Slice],
      () =>
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tile(t, [2, 1, 3, 2]), w([6, 6, 15, 8]))))(x()),
      0,
    );
    const [mean, variance, offset, scale] = [
      input([4]),
      input([4], 0.5, 2),
      input([4]),
      input([4]),
    ];
    // Rsqrt and the products run natively too: equal to 1e-5, not bit for bit.
    await check('batch-norm gradient', [tf.Tile], () =>
      tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.batchNorm(t as tf.Tensor4D, mean(), variance(), offset(), scale()),
            w([3, 6, 5, 4]),
          ),
        ),
      )(x()),
    );
  });

  test('Transpose of rank 2 and 4', async () => {
    const m = input([37, 53]);
    const t4 = input([2, 3, 4, 5]);
    await check('2-D', [tf.Transpose], () => tf.transpose(m()));
    await check('4-D', [tf.Transpose], () => tf.transpose(t4(), [3, 1, 0, 2]));
  });

  test('what the addon does not read goes to the cpu kernels, with the same result', async () => {
    const before = nativeKernelCounts.fallback.get(tf.Add) ?? 0;
    const ints = () => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32'));
    assertClose(await on('native', ints), await on('cpu', ints), 'int32 add');
    assert.equal(nativeKernelCounts.fallback.get(tf.Add), before + 1);
    // cpu's bool → float32 cast keeps the Uint8Array: a float32 tensor the addon must not read.
    const meanBefore = nativeKernelCounts.fallback.get(tf.Mean) ?? 0;
    const accuracy = () =>
      tf.mean(tf.cast(tf.equal(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 3])), 'float32'));
    assertClose(await on('native', accuracy), await on('cpu', accuracy), 'mean of a cast bool');
    assert.equal(nativeKernelCounts.fallback.get(tf.Mean), meanBefore + 1);
  });
});

describe('native fused kernels', { skip }, () => {
  test("ReglabProjectedError: PER's f and its gradient equal the composite on cpu (1e-6), NaN and ±0 kept", async () => {
    const x = input([37, 65], -6, 6);
    const special = () => tf.tensor1d([0, -0, NaN, 1e-30, -1e-30, 40, -40, 0.5]);
    await check('f', [PROJECTED_ERROR_KERNEL], () => projectedError(x()), 1e-6);
    await check(
      'f special values',
      [PROJECTED_ERROR_KERNEL],
      () => projectedError(special()),
      1e-6,
    );
    await check(
      'gradient',
      [PROJECTED_ERROR_KERNEL],
      () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(projectedError(t), tf.sin(t))))(x()),
      1e-6,
    );
    // Against the float64 oracle too, elementwise (the kernel is no copy of the composite).
    const got = (await on('native', () => projectedError(x())))[0].values;
    const xs = x().dataSync();
    xs.forEach((v, i) =>
      assert.ok(
        Math.abs(got[i] - projectedErrorScalar(v)) <= 1e-6 * (1 + Math.abs(v)),
        `f(${v}) = ${got[i]}, oracle ${projectedErrorScalar(v)}`,
      ),
    );
  });
});

describe('native seeded normals', { skip }, () => {
  test('fillNormal and unitColumns give the JavaScript streams bit for bit; registering installs them', () => {
    assert.ok(addon!.fillNormal && addon!.unitColumns, 'the addon lacks the normal kernels');
    const { k, w, f } = zigguratTables;
    // Tail (|x| > 3.44) and wedge draws are ~1% of each stream: thousands of slow-path draws.
    for (const [length, seed] of [
      [1, 0],
      [1000, 17],
      [65536, 123456789],
      [200_001, -5],
    ]) {
      const script = new Float32Array(length);
      fillNormalScript(script, seed);
      const native = new Float32Array(length);
      addon!.fillNormal!(native, seed, k, w, f);
      assert.deepEqual(native, script, `fillNormal length ${length}, seed ${seed}`);
    }
    for (const [rows, cols, seed] of [
      [7, 9, 3],
      [256, 256, 99],
      [784, 33, 2024],
    ]) {
      const previous = useNormalKernels(undefined);
      assert.ok(previous, 'registerNativeBackend did not install the native normals');
      const script = new Float32Array(rows * cols);
      fillUnitColumns(script, rows, cols, seed);
      useNormalKernels(previous);
      const native = new Float32Array(rows * cols);
      addon!.unitColumns!(native, rows, cols, seed, k, w, f);
      assert.deepEqual(native, script, `unitColumns ${rows}×${cols}, seed ${seed}`);
      // And it is what Random.unitDirections returns with the native backend registered.
      const viaRandom = tf.tidy(() => new Random(seed).unitDirections(rows, cols).dataSync());
      const expected = new Float32Array(rows * cols);
      addon!.unitColumns!(expected, rows, cols, new Random(seed).seed(), k, w, f);
      assert.deepEqual(viaRandom, expected, `Random.unitDirections ${rows}×${cols}`);
    }
  });
});

describe('native backend storage', { skip }, () => {
  test('dataSync results and views of reused buffers never change', async () => {
    await tf.setBackend('native');
    const x = input([80, 100]);
    const churn = () => {
      for (let i = 0; i < 6; i++) tf.tidy(() => tf.neg(tf.relu(tf.add(x(), i)))); // same-size buffers
    };
    const kept = tf.relu(x());
    const read = kept.dataSync();
    const expected = Float32Array.from(read);
    kept.dispose();
    churn();
    assert.deepEqual(read, expected, 'a dataSync result changed after its tensor was disposed');
    const source = tf.relu(x());
    const view = tf.slice(source, [0, 0], [40, 100]); // cpu Slice: a view of source's array
    const viewExpected = Float32Array.from(view.dataSync());
    source.dispose();
    churn();
    assert.deepEqual(view.dataSync(), viewExpected, 'a view changed after its source was disposed');
    view.dispose();
  });

  test('deferred products: computed when read, skipped when disposed unread, inputs released', async () => {
    await tf.setBackend('native');
    const dataIds = tf.engine().backend.numDataIds();
    const a = tf.tensor(values(12 * 7, 1), [12, 7]);
    const b = tf.tensor(values(7 * 9, 2), [7, 9]);
    const tensors = tf.memory().numTensors;
    const { computed, skipped } = { ...nativeKernelCounts.deferred };
    tf.matMul(a, b).dispose();
    assert.deepEqual(nativeKernelCounts.deferred, { computed, skipped: skipped + 1 });
    const product = tf.matMul(a, b);
    const reshaped = tf.reshape(product, [9, 12]); // reshape does not compute it
    assert.deepEqual(nativeKernelCounts.deferred, { computed, skipped: skipped + 1 });
    const values1 = reshaped.dataSync();
    assert.deepEqual(nativeKernelCounts.deferred, { computed: computed + 1, skipped: skipped + 1 });
    tf.dispose([product, reshaped]);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([a, b]);
    assert.equal(
      tf.engine().backend.numDataIds(),
      dataIds,
      'a deferred product kept its inputs alive',
    );
    await tf.setBackend('cpu');
    const a2 = tf.tensor(values(12 * 7, 1), [12, 7]);
    const b2 = tf.tensor(values(7 * 9, 2), [7, 9]);
    const oracle = tf.matMul(a2, b2).dataSync();
    values1.forEach((v, i) => assert.ok(Math.abs(v - oracle[i]) < 1e-5));
    tf.dispose([a2, b2]);
  });

  test('training steps match the cpu backend and leak nothing (MLP, CNN, ResNet)', async () => {
    for (const [spec, sampleShape] of [
      ['mlp:24,16', [20]],
      ['cnn', [8, 8, 2]],
      // Option-A shortcuts (PadV2, Slice) and batch norms (Tile in their gradient).
      ['resnet:8:width=0.25', [8, 8, 3]],
    ] as const) {
      const weights: Float32Array[][] = [];
      for (const backend of ['native', 'cpu']) {
        await tf.setBackend(backend);
        const n = 12;
        const x = values(n * tf.util.sizeFromShape([...sampleShape]), 5, 0, 1);
        const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
        const data = makeDataset({ name: 't', x, labels, sampleShape, numClasses: 3 });
        const model = buildModel(spec, {
          inputShape: sampleShape,
          numClasses: 3,
          rng: new Random(4),
        });
        const trainer = new Trainer({
          model,
          optimizer: tf.train.momentum(0.05, 0.9),
          rng: new Random(6),
        });
        const batch = makeBatch(
          data,
          Int32Array.from({ length: n }, (_, i) => i),
        );
        trainer.trainStep(batch);
        const tensors = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) trainer.trainStep(batch);
        assert.equal(tf.memory().numTensors, tensors, `${spec} on ${backend} leaks`);
        weights.push(model.getWeights().map((w) => w.dataSync() as Float32Array));
        model.dispose();
        tf.dispose([batch.x, batch.y]);
      }
      assertClose(
        weights[0].map((v) => ({ shape: [v.length], values: v })),
        weights[1].map((v) => ({ shape: [v.length], values: v })),
        `${spec} weights after 4 steps`,
        1e-4,
      );
    }
  });
});
