import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../../src/core/random.js';
import { ReglabError } from '../../../src/core/errors.js';
import {
  maxPoolMask,
  reverseAveragePooling2D,
  reverseConv2D,
  reverseDense,
  reverseDropout,
  reverseGlobalAveragePooling2D,
  reverseMaxPooling2D,
  reverseMerge,
  reverseReshape,
  reverseResidualDense,
  reverseRole,
  reverseZeroPadding2D,
  reverseZeroPadShortcut,
  reverseLayer,
  sharedBatchNormalization,
  sharedLayer,
} from '../../../src/methods/racecar/reverse-ops.js';
import { ResidualDense } from '../../../src/models/residual.js';
import { ZeroPadShortcut } from '../../../src/models/shortcut.js';
import { assertClose, useBackend } from '../../support.js';

before(() => useBackend());

const rng = new Random(11);

/** ⟨a, b⟩ summed over every element. */
function inner(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0]);
}

/**
 * Asserts ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ for random x (shaped `inShape`) and y (shaped like A x).
 * For an affine layer L, A x = L(x) − L(0) and Aᵀy = reverse(y + L(0)) (the reverse subtracts the bias first).
 */
function assertAdjoint(
  forward: (x: tf.Tensor) => tf.Tensor,
  adjoint: (y: tf.Tensor) => tf.Tensor,
  inShape: number[],
  message: string,
) {
  tf.tidy(() => {
    const x = rng.normalTensor(inShape);
    const ax = forward(x);
    const y = rng.normalTensor(ax.shape);
    const aty = adjoint(y);
    assert.deepEqual(aty.shape, x.shape, `${message}: adjoint shape`);
    const lhs = inner(ax, y);
    assertClose(inner(x, aty), lhs, { atol: 1e-4, rtol: 1e-4, message });
  });
}

function affineAdjoint(
  layer: tfl.layers.Layer,
  inShape: number[],
  reverse: (y: tf.Tensor) => tf.Tensor,
  message: string,
) {
  const zero = () => layer.apply(tf.zeros(inShape)) as tf.Tensor;
  assertAdjoint(
    (x) => tf.sub(layer.apply(x) as tf.Tensor, zero()),
    (y) => reverse(tf.add(y, zero())),
    inShape,
    message,
  );
}

function withRandomBias(layer: tfl.layers.Layer, inShape: number[]): tfl.layers.Layer {
  tf.tidy(() => layer.apply(tf.zeros(inShape)) as tf.Tensor);
  const [kernel, bias] = layer.getWeights();
  layer.setWeights([kernel, rng.normalTensor(bias.shape)]);
  return layer;
}

test('Dense reverse is Wᵀ(y − b): adjoint of the forward map', () => {
  const layer = withRandomBias(
    tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }),
    [3, 7],
  );
  affineAdjoint(layer, [3, 7], (y) => reverseDense(layer, y), 'dense');
});

test('Conv2D reverse is the transposed convolution with the forward input shape', () => {
  const cases: { strides: number; padding: 'same' | 'valid'; shape: number[] }[] = [
    { strides: 1, padding: 'same', shape: [2, 6, 6, 3] },
    { strides: 2, padding: 'valid', shape: [2, 7, 7, 2] },
    { strides: 2, padding: 'same', shape: [1, 7, 5, 2] },
  ];
  for (const { strides, padding, shape } of cases) {
    const layer = withRandomBias(
      tfl.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        strides,
        padding,
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }),
      }),
      shape,
    );
    affineAdjoint(
      layer,
      shape,
      (y) => reverseConv2D(layer, y, shape),
      `conv s${strides} ${padding} ${shape}`,
    );
  }
});

test('AveragePooling2D reverse is its adjoint (also when the pool drops a row)', () => {
  for (const shape of [
    [2, 4, 4, 3],
    [1, 5, 7, 2],
  ]) {
    const layer = tfl.layers.averagePooling2d({ poolSize: 2 });
    assertAdjoint(
      (x) => layer.apply(x) as tf.Tensor,
      (y) => reverseAveragePooling2D(layer, y, shape),
      shape,
      `avgpool ${shape}`,
    );
  }
});

test('MaxPooling2D argmax unpooling is the adjoint of the forward pass with its routing fixed', () => {
  const shape = [2, 5, 6, 3];
  const layer = tfl.layers.maxPooling2d({ poolSize: 2 });
  tf.tidy(() => {
    const x0 = rng.normalTensor(shape); // real-valued: no ties
    const y0 = layer.apply(x0) as tf.Tensor;
    const mask = maxPoolMask(layer, x0, y0);
    // The fixed routing A v = window sums of mask ⊙ v; on x0 itself it is the max pool.
    const route = (v: tf.Tensor) =>
      tf.mul(tf.avgPool(tf.mul(mask, v) as tf.Tensor4D, 2, 2, 'valid'), 4);
    assertClose(route(x0).dataSync(), y0.dataSync(), {
      atol: 1e-5,
      message: 'routing reproduces the max pool',
    });
    assertClose(tf.sum(mask).dataSync()[0], y0.size, { message: 'one argmax per window' });
    assertAdjoint(route, (y) => reverseMaxPooling2D(layer, y, x0, y0), shape, 'max unpool');
  });
});

test('MaxPooling2D nearest unpooling copies into the whole window; same padding crops', () => {
  tf.tidy(() => {
    const layer = tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' });
    const x0 = rng.normalTensor([1, 3, 3, 1]);
    const y0 = layer.apply(x0) as tf.Tensor;
    const y = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const nearest = reverseMaxPooling2D(layer, y, x0, y0, 'nearest');
    assert.deepEqual(Array.from(nearest.dataSync()), [1, 1, 2, 1, 1, 2, 3, 3, 4]);
    const argmax = reverseMaxPooling2D(layer, y, x0, y0, 'argmax');
    assert.deepEqual(argmax.shape, [1, 3, 3, 1]);
    // Each window's value lands at its max only: the sum is preserved.
    assertClose(tf.sum(argmax).dataSync()[0], 10);
  });
});

test('Flatten/Reshape reverse reshapes back; Dropout reverse is the identity', () => {
  const flatten = tfl.layers.flatten();
  assertAdjoint(
    (x) => flatten.apply(x) as tf.Tensor,
    (y) => reverseReshape(y, [2, 3, 4, 5]),
    [2, 3, 4, 5],
    'flatten',
  );
  tf.tidy(() => {
    const y = rng.normalTensor([2, 3]);
    assert.equal(reverseDropout(y), y);
  });
});

test('shared BatchNormalization equals the layer itself, in training and inference mode', () => {
  const layer = tfl.layers.batchNormalization({ epsilon: 1e-3 });
  tf.tidy(() => {
    const x = tf.add(tf.mul(rng.normalTensor([6, 4]), 3), 1);
    layer.apply(x);
    layer.setWeights([
      rng.normalTensor([4]),
      rng.normalTensor([4]),
      rng.normalTensor([4]),
      tf.add(tf.abs(rng.normalTensor([4])), 0.5),
    ]);
    for (const training of [true, false]) {
      const expected = layer.apply(x, { training }) as tf.Tensor;
      assertClose(sharedBatchNormalization(layer, x, training).dataSync(), expected.dataSync(), {
        atol: 1e-5,
        message: `training=${training}`,
      });
    }
    const moving = layer
      .getWeights()
      .slice(2)
      .map((w) => w.dataSync().slice());
    // our reverse never touches the moving statistics
    sharedBatchNormalization(layer, tf.mul(x, 10), true);
    layer
      .getWeights()
      .slice(2)
      .forEach((w, k) => assertClose(w.dataSync(), moving[k]));
  });
});

test('shared Activation layers apply the activation forwards', () => {
  const layer = tfl.layers.activation({ activation: 'tanh' });
  tf.tidy(() => {
    const x = rng.normalTensor([3, 4]);
    assertClose(sharedLayer(layer, x, true).dataSync(), tf.tanh(x).dataSync());
  });
});

test('ResidualDense: y = x + f(xW + b); its reverse (I + W)ᵀ(y − b) is the adjoint of the linear block', () => {
  const layer = new ResidualDense({ activation: 'linear', seed: 3, initScale: 1 });
  withRandomBias(layer, [4, 6]);
  affineAdjoint(layer, [4, 6], (y) => reverseResidualDense(layer, y), 'residual');
  tf.tidy(() => {
    const relu = new ResidualDense({ activation: 'relu', seed: 4 });
    const x = rng.normalTensor([2, 3]);
    const y = relu.apply(x) as tf.Tensor;
    const [w, b] = relu.getWeights();
    const expected = tf.add(x, tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b)));
    assertClose(y.dataSync(), expected.dataSync(), { atol: 1e-6 });
  });
});

test('ResidualDense is registered for serialization', async () => {
  const model = tfl.sequential({
    layers: [new ResidualDense({ inputShape: [5], activation: 'tanh', seed: 5, name: 'res_1' })],
  });
  const copy = await tfl.models.modelFromJSON({
    modelTopology: model.toJSON(null, false),
  } as Parameters<typeof tfl.models.modelFromJSON>[0]);
  const layer = copy.getLayer('res_1');
  assert.equal(layer.getClassName(), 'ResidualDense');
  assert.equal((layer as ResidualDense).activationName, 'tanh');
});

test('an unsupported layer gives a ReglabError naming it, its class and the supported classes', () => {
  const layer = tfl.layers.globalMaxPooling2d({ name: 'gmp' });
  assert.throws(
    () => reverseRole(layer),
    (error: unknown) =>
      error instanceof ReglabError &&
      error.message.includes('"gmp"') &&
      error.message.includes('GlobalMaxPooling2D') &&
      error.message.includes('GlobalAveragePooling2D') &&
      error.message.includes('Add') &&
      error.message.includes('Conv2D') &&
      error.message.includes('ResidualDense'),
  );
});

test('the written-out backward of un-pooling is the forward pool: ∇_y ⟨unpool(y), g⟩ = pool-routing(g)', () => {
  // unpool = Aᵀ (the adjoint of the pool with fixed routing A), so its gradient must be A g —
  // for average pooling the mean over each window, for argmax the window sum of mask ⊙ g, for
  // nearest the window sum of g. Cases: exact tiling, a dropped row (valid), cropped padding (same).
  for (const [shape, padding] of [
    [[2, 4, 4, 3], 'valid'],
    [[1, 5, 7, 2], 'valid'],
    [[1, 5, 7, 2], 'same'],
  ] as [number[], 'valid' | 'same'][]) {
    tf.tidy(() => {
      const maxLayer = tfl.layers.maxPooling2d({ poolSize: 2, padding });
      const avgLayer = tfl.layers.averagePooling2d({ poolSize: 2, padding: 'valid' });
      const x0 = rng.normalTensor(shape);
      const y0 = maxLayer.apply(x0) as tf.Tensor;
      const g = rng.normalTensor(shape);
      const gradient = (unpool: (y: tf.Tensor) => tf.Tensor, y: tf.Tensor) =>
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(unpool(v), g)))(y);
      const windowSums = (v: tf.Tensor) => {
        const [, h, w] = y0.shape;
        const H = padding === 'valid' ? 2 * h : shape[1];
        const W = padding === 'valid' ? 2 * w : shape[2];
        const padded =
          padding === 'same'
            ? tf.pad(v, [
                [0, 0],
                [0, 2 * h - H],
                [0, 2 * w - W],
                [0, 0],
              ])
            : tf.slice(v, [0, 0, 0, 0], [shape[0], H, W, shape[3]]);
        return tf.mul(tf.avgPool(padded as tf.Tensor4D, 2, 2, 'valid'), 4);
      };
      const mask = maxPoolMask(maxLayer, x0, y0);
      assertClose(
        gradient((y) => reverseMaxPooling2D(maxLayer, y, x0, y0), y0).dataSync(),
        windowSums(tf.mul(mask, g)).dataSync(),
        { atol: 1e-5, message: `argmax ${shape} ${padding}` },
      );
      assertClose(
        gradient((y) => reverseMaxPooling2D(maxLayer, y, x0, y0, 'nearest'), y0).dataSync(),
        windowSums(g).dataSync(),
        { atol: 1e-5, message: `nearest ${shape} ${padding}` },
      );
      if (padding === 'valid') {
        const yAvg = avgLayer.apply(x0) as tf.Tensor;
        assertClose(
          gradient((y) => reverseAveragePooling2D(avgLayer, y, shape), yAvg).dataSync(),
          (avgLayer.apply(g) as tf.Tensor).dataSync(),
          { atol: 1e-5, message: `avg ${shape}` },
        );
      }
    });
  }
});

test('Conv2D with stride 2 (3×3 and 1×1 projection shortcuts), same and valid, odd sizes: adjoint', () => {
  for (const kernelSize of [1, 3])
    for (const padding of ['same', 'valid'] as const)
      for (const shape of [
        [2, 5, 5, 2],
        [1, 7, 6, 3],
        [1, 9, 9, 1],
      ]) {
        const layer = withRandomBias(
          tfl.layers.conv2d({
            filters: 4,
            kernelSize,
            strides: 2,
            padding,
            kernelInitializer: tfl.initializers.glorotNormal({ seed: 6 }),
          }),
          shape,
        );
        affineAdjoint(
          layer,
          shape,
          (y) => reverseConv2D(layer, y, shape),
          `conv ${kernelSize}×${kernelSize} s2 ${padding} ${shape}`,
        );
      }
});

test('GlobalAveragePooling2D reverse broadcasts y / (H·W): adjoint, and exact values', () => {
  const layer = tfl.layers.globalAveragePooling2d({});
  for (const shape of [
    [2, 3, 5, 4],
    [1, 7, 7, 2],
  ])
    assertAdjoint(
      (x) => layer.apply(x) as tf.Tensor,
      (y) => reverseGlobalAveragePooling2D(layer, y, shape),
      shape,
      `gap ${shape}`,
    );
  tf.tidy(() => {
    const y = tf.tensor2d([[6, 12]]);
    const x = reverseGlobalAveragePooling2D(layer, y, [1, 2, 3, 2]);
    assert.deepEqual(Array.from(x.dataSync()), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
  });
});

test('ZeroPadding2D reverse crops the padding (asymmetric and symmetric): adjoint', () => {
  for (const padding of [
    [
      [1, 2],
      [0, 3],
    ],
    2,
  ] as const) {
    const layer = tfl.layers.zeroPadding2d({
      padding: padding as number | [[number, number], [number, number]],
    });
    const shape = [2, 3, 4, 2];
    assertAdjoint(
      (x) => layer.apply(x) as tf.Tensor,
      (y) => reverseZeroPadding2D(layer, y, shape),
      shape,
      `zero padding ${JSON.stringify(padding)}`,
    );
  }
});

test("ZeroPadShortcut (a ResNet's option-A shortcut) reverse is its adjoint, even and odd sizes, through reverseLayer", () => {
  for (const [shape, filters, strides] of [
    [[2, 8, 8, 2], 4, 2],
    [[2, 7, 5, 3], 6, 2],
    [[1, 4, 4, 3], 3, 1],
  ] as const) {
    const layer = new ZeroPadShortcut({ filters, strides });
    assert.equal(reverseRole(layer), 'structural');
    const message = `shortcut [${shape}] → ${filters}, stride ${strides}`;
    assertAdjoint(
      (x) => layer.apply(x) as tf.Tensor,
      (y) => reverseZeroPadShortcut(layer, y, shape),
      [...shape],
      message,
    );
    tf.tidy(() => {
      const x = rng.normalTensor([...shape]);
      const y = layer.apply(x) as tf.Tensor;
      const direct = reverseZeroPadShortcut(layer, y, shape);
      const walked = reverseLayer(layer, y, { forwardInput: x, forwardOutput: y });
      assertClose(walked.dataSync(), direct.dataSync(), { message });
      // SᵀS keeps the sampled pixels: S(Sᵀ(S x)) = S x.
      const again = layer.apply(direct) as tf.Tensor;
      assertClose(again.dataSync(), y.dataSync(), { message: `${message}: S Sᵀ S = S` });
    });
  }
});

/**
 * Asserts ⟨A(x_1..x_n), y⟩ = Σ_i ⟨x_i, (Aᵀy)_i⟩ for a merge of n inputs shaped `shapes`, with
 * `linear` the linear map (the merge itself, or its linearisation) and the adjoint `reverseMerge`.
 */
function assertMergeAdjoint(
  layer: tfl.layers.Layer,
  linear: (xs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
  forwardInputs: tf.Tensor[],
  message: string,
) {
  tf.tidy(() => {
    const xs = shapes.map((shape) => rng.normalTensor(shape));
    const ax = linear(xs);
    const y = rng.normalTensor(ax.shape);
    const aty = reverseMerge(layer, y, forwardInputs);
    assert.equal(aty.length, xs.length, `${message}: one value per input`);
    aty.forEach((t, i) => assert.deepEqual(t.shape, xs[i].shape, `${message}: shape ${i}`));
    const rhs = xs.reduce((sum, x, i) => sum + inner(x, aty[i]), 0);
    assertClose(rhs, inner(ax, y), { atol: 1e-4, rtol: 1e-4, message });
  });
}

test('Add copies, Average copies / n, Concatenate splits along its axis: exact adjoints', () => {
  const merges: [tfl.layers.Layer, number[][]][] = [
    [
      tfl.layers.add({}),
      [
        [2, 5],
        [2, 5],
        [2, 5],
      ],
    ],
    [
      tfl.layers.average({}),
      [
        [2, 3, 3, 2],
        [2, 3, 3, 2],
      ],
    ],
    [
      tfl.layers.concatenate({}),
      [
        [2, 3],
        [2, 5],
        [2, 1],
      ],
    ],
    [
      tfl.layers.concatenate({ axis: 1 }),
      [
        [2, 2, 3, 2],
        [2, 4, 3, 2],
      ],
    ],
    [
      tfl.layers.concatenate({ axis: 2 }),
      [
        [1, 2, 3, 2],
        [1, 2, 1, 2],
      ],
    ],
  ];
  for (const [layer, shapes] of merges) {
    const forward = tf.tidy(() => shapes.map((shape) => tf.keep(rng.normalTensor(shape))));
    assertMergeAdjoint(
      layer,
      (xs) => layer.apply(xs) as tf.Tensor,
      shapes,
      forward,
      `${layer.getClassName()} ${JSON.stringify(shapes)}`,
    );
    tf.dispose(forward);
  }
});

test("Multiply is linearised at the forward values (the others held fixed); its reverse is that map's adjoint", () => {
  const layer = tfl.layers.multiply({});
  for (const n of [2, 3]) {
    const shapes = Array.from({ length: n }, () => [2, 4]);
    tf.tidy(() => {
      const x0 = shapes.map((shape) => rng.normalTensor(shape));
      // the linearisation, checked against a central difference of the layer itself
      const linear = (dxs: tf.Tensor[]) =>
        tf.addN(dxs.map((dx, i) => x0.reduce((p, x, j) => (j === i ? p : tf.mul(p, x)), dx)));
      const dxs = shapes.map((shape) => rng.normalTensor(shape));
      const step = 1e-2;
      const at = (sign: number) =>
        layer.apply(x0.map((x, i) => tf.add(x, tf.mul(dxs[i], sign * step)))) as tf.Tensor;
      const difference = tf.div(tf.sub(at(1), at(-1)), 2 * step);
      assertClose(difference.dataSync(), linear(dxs).dataSync(), {
        atol: 1e-3,
        message: `multiply ${n}: linearisation`,
      });
      assertMergeAdjoint(layer, linear, shapes, x0, `multiply ${n}`);
    });
  }
});

test('a broadcasting merge and a negative concatenation axis other than −1 are refused, naming them', () => {
  tf.tidy(() => {
    const ambiguous = tfl.layers.concatenate({ name: 'cat', axis: -2 });
    const parts = [rng.normalTensor([1, 2, 3, 2]), rng.normalTensor([1, 2, 1, 2])];
    assert.throws(
      () => reverseMerge(ambiguous, rng.normalTensor([1, 2, 4, 2]), parts),
      /merge "cat" \(Concatenate\) has axis -2.*write the axis as a non-negative number \(2\)/,
    );
    const layer = tfl.layers.add({ name: 'wide' });
    assert.throws(
      () =>
        reverseMerge(layer, rng.normalTensor([2, 4]), [
          rng.normalTensor([2, 4]),
          rng.normalTensor([1, 4]),
        ]),
      (e: unknown) => e instanceof ReglabError && /merge "wide" \(Add\) broadcasts/.test(e.message),
    );
  });
});
