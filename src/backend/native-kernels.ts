/**
 * The kernels the `native` backend runs in reglab's C++ addon instead of tfjs-backend-cpu's
 * JavaScript: matrix products (every transpose flag, fused bias + activation), 2-D convolution
 * and both its gradients, max pooling and its gradient, and the elementwise, reduction and
 * transpose kernels a training step is made of (the optimizer's updates among them).
 *
 * Each kernel reads its inputs' typed arrays in place (`backend.data.get(dataId).values`),
 * takes an output array from the backend (pooled, or deferred), and lets the addon fill it:
 * nothing is copied.
 * A few kernels are block copies in JavaScript (GatherV2, SplitV, Slice, PadV2, Tile), where
 * the cpu kernels copy element by element: `TypedArray.set` copies each contiguous run as one
 * memcpy, which leaves C++ little to gain.
 * Whatever the addon does not cover — another dtype, NCHW, a broadcast it does not handle,
 * PReLU — goes to the cpu backend's own kernel, so results never depend on coverage.
 * {@link nativeKernelCounts} counts which path each call took (the tests check that the native
 * path is the one they exercise).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './native-addon.js';
import { addSegmentRows } from './segment-sum.js';
import { copyBox, tileInto } from './block-copy.js';
import { PROJECTED_ERROR_KERNEL } from './fused-kernels.js';

type Info = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** What the native backend's storage offers its kernels (native-backend.ts). */
export interface NativeStorage {
  /** An output array: reused from disposed tensors when possible, so not zero-filled. */
  allocate(length: number): Float32Array;
  /**
   * An output of `kernel` computed when first read, never if it is disposed unread; holds
   * `inputs` until then.
   */
  defer(
    kernel: string,
    shape: number[],
    inputs: Info[],
    compute: (out: Float32Array) => void,
  ): Info;
}

/** A kernel output array (every native kernel writes all of it). */
function alloc(backend: MathBackendCPU, length: number): Float32Array {
  return (backend as unknown as NativeStorage).allocate(length);
}

/** Activation codes of native/src/kernels.h. */
const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  sigmoid: 3,
  elu: 4,
  leakyrelu: 5,
};

/**
 * Calls per kernel that ran natively and that fell back to the cpu kernel, and deferred
 * outputs computed (read) and skipped (disposed unread).
 */
export const nativeKernelCounts = {
  native: new Map<string, number>(),
  fallback: new Map<string, number>(),
  deferred: { computed: 0, skipped: 0 },
  /** Milliseconds spent computing deferred outputs, per kernel and in total (bench/profile.ts). */
  deferredMs: { byKernel: new Map<string, number>(), total: 0 },
};

function count(map: Map<string, number>, name: string): void {
  map.set(name, (map.get(name) ?? 0) + 1);
}

/** The float32 values of `t`, or null when the addon cannot read it (another dtype, complex). */
function floats(backend: MathBackendCPU, t: Info | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

const size = (shape: readonly number[]) => tf.util.sizeFromShape(shape as number[]);

/**
 * A native kernel: `run` returns the output, or null to hand the call to the cpu kernel of the
 * same name (looked up per call, so it is the one tfjs-backend-cpu registered).
 */
function nativeKernel(
  kernelName: string,
  run: (addon: NativeAddon, backend: MathBackendCPU, args: KernelArgs) => Info | Info[] | null,
): (addon: NativeAddon) => tf.KernelConfig {
  return (addon) => ({
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const out = run(addon, args.backend as MathBackendCPU, args);
      if (out) {
        count(nativeKernelCounts.native, kernelName);
        return out;
      }
      count(nativeKernelCounts.fallback, kernelName);
      const cpu = tf.getKernel(kernelName, 'cpu');
      if (!cpu) throw new Error(`native ${kernelName}: these inputs are not float32 arrays`);
      return cpu.kernelFunc(args);
    },
  });
}

function output(backend: MathBackendCPU, shape: number[], values: Float32Array): Info {
  return backend.makeTensorInfo(shape, 'float32', values);
}

// ---------------------------------------------------------------------------------------------
// Matrix products

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

/** op(a)·op(b) over broadcast batch dims, with an optional bias along the last axis. */
function matmul(
  kernelName: string,
  addon: NativeAddon,
  backend: MathBackendCPU,
  inputs: { a: Info; b: Info; bias?: Info },
  attrs: MatMulAttrs,
): Info | null {
  const { a, b, bias } = inputs;
  const av = floats(backend, a);
  const bv = floats(backend, b);
  const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
  if (!av || !bv || activation === undefined) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, ka] = attrs.transposeA
    ? [a.shape[ra - 1], a.shape[ra - 2]]
    : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = attrs.transposeB
    ? [b.shape[rb - 1], b.shape[rb - 2]]
    : [b.shape[rb - 2], b.shape[rb - 1]];
  if (ka !== kb) return null; // the cpu kernel raises tfjs's own error
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  let biasValues: Float32Array | null = null;
  if (bias) {
    biasValues = floats(backend, bias);
    const alongLastAxis =
      biasValues !== null &&
      (biasValues.length === 1 ||
        (bias.shape[bias.shape.length - 1] === n && biasValues.length === n));
    if (!alongLastAxis || bias.shape.length > outer.length + 2) return null;
  }
  const batch = Math.max(batchA, batchB);
  // Deferred: the gradient of a fused matMul's input batch is computed and never read.
  return (backend as unknown as NativeStorage).defer(
    kernelName,
    [...outer, m, n],
    bias ? [a, b, bias] : [a, b],
    (out) =>
      addon.matmul(
        av,
        bv,
        out,
        batch,
        m,
        n,
        ka,
        attrs.transposeA,
        attrs.transposeB,
        batchA === 1 ? 0 : m * ka,
        batchB === 1 ? 0 : ka * n,
        biasValues,
        activation,
        attrs.leakyreluAlpha ?? 0.2,
      ),
  );
}

const batchMatMul = nativeKernel(tf.BatchMatMul, (addon, backend, { inputs, attrs }) =>
  matmul(
    tf.BatchMatMul,
    addon,
    backend,
    inputs as { a: Info; b: Info },
    attrs as unknown as MatMulAttrs,
  ),
);

const fusedMatMul = nativeKernel(tf._FusedMatMul, (addon, backend, { inputs, attrs }) =>
  matmul(
    tf._FusedMatMul,
    addon,
    backend,
    inputs as { a: Info; b: Info; bias?: Info },
    attrs as unknown as MatMulAttrs,
  ),
);

// ---------------------------------------------------------------------------------------------
// Convolution and pooling

/** The 15 integers of native `Conv2DGeometry`, from tfjs's conv info. */
function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  dilations = attrs.dilations ?? 1,
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

const nhwc = (attrs: ConvAttrs) => (attrs.dataFormat ?? 'NHWC') === 'NHWC';

function conv2d(addon: NativeAddon, backend: MathBackendCPU, args: KernelArgs): Info | null {
  const { x, filter, bias } = args.inputs as { x: Info; filter: Info; bias?: Info };
  const attrs = args.attrs as unknown as ConvAttrs;
  const xv = floats(backend, x);
  const fv = floats(backend, filter);
  const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
  if (!xv || !fv || !nhwc(attrs) || activation === undefined) return null;
  const info = convInfo(x.shape, filter.shape, attrs);
  let biasValues: Float32Array | null = null;
  if (bias) {
    biasValues = floats(backend, bias);
    if (!biasValues || (biasValues.length !== 1 && biasValues.length !== info.outChannels))
      return null;
    if (bias.shape.length > 1 && bias.shape.slice(0, -1).some((d) => d !== 1)) return null;
  }
  const y = alloc(backend, size(info.outShape));
  addon.conv2d(geometry(info), xv, fv, y, biasValues, activation, attrs.leakyreluAlpha ?? 0.2);
  return output(backend, info.outShape, y);
}

const conv2D = nativeKernel(tf.Conv2D, conv2d);
const fusedConv2D = nativeKernel(tf.FusedConv2D, conv2d);

const conv2DBackpropInput = nativeKernel(
  tf.Conv2DBackpropInput,
  (addon, backend, { inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const a = attrs as unknown as ConvAttrs;
    const dyv = floats(backend, dy);
    const fv = floats(backend, filter);
    if (!dyv || !fv || !nhwc(a) || !a.inputShape) return null;
    const info = convInfo(a.inputShape, filter.shape, a, 1);
    // Deferred: the input gradient of a fused conv's first layer is computed and never read.
    return (backend as unknown as NativeStorage).defer(
      tf.Conv2DBackpropInput,
      info.inShape,
      [dy, filter],
      (dx) => addon.conv2dBackpropInput(geometry(info), dyv, fv, dx),
    );
  },
);

const conv2DBackpropFilter = nativeKernel(
  tf.Conv2DBackpropFilter,
  (addon, backend, { inputs, attrs }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    const a = attrs as unknown as ConvAttrs;
    const xv = floats(backend, x);
    const dyv = floats(backend, dy);
    if (!xv || !dyv || !nhwc(a) || !a.filterShape) return null;
    const info = convInfo(x.shape, a.filterShape, a, 1);
    const dw = alloc(backend, size(a.filterShape));
    addon.conv2dBackpropFilter(geometry(info), xv, dyv, dw);
    return output(backend, [...a.filterShape], dw);
  },
);

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(xShape: number[], attrs: PoolAttrs) {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

const maxPool = nativeKernel(tf.MaxPool, (addon, backend, { inputs, attrs }) => {
  const { x } = inputs as { x: Info };
  const xv = floats(backend, x);
  if (!xv) return null;
  const info = poolInfo(x.shape, attrs as unknown as PoolAttrs);
  const y = alloc(backend, size(info.outShape));
  addon.maxPool(geometry(info), xv, y);
  return output(backend, info.outShape, y);
});

/** Average pooling (racecar's sum pool in the un-pooling adjoint); 1×1 identity pools to cpu. */
const avgPool = (addon: NativeAddon): tf.KernelConfig | undefined =>
  addon.avgPool
    ? nativeKernel(tf.AvgPool, (_, backend, { inputs, attrs }) => {
        const { x } = inputs as { x: Info };
        const xv = floats(backend, x);
        if (!xv) return null;
        const info = poolInfo(x.shape, attrs as unknown as PoolAttrs);
        if (info.filterHeight === 1 && info.filterWidth === 1) return null;
        const y = alloc(backend, size(info.outShape));
        addon.avgPool!(geometry(info), xv, y);
        return output(backend, info.outShape, y);
      })(addon)
    : undefined;

const maxPoolGrad = nativeKernel(tf.MaxPoolGrad, (addon, backend, { inputs, attrs }) => {
  const { dy, input } = inputs as { dy: Info; input: Info };
  const dyv = floats(backend, dy);
  const xv = floats(backend, input);
  if (!dyv || !xv) return null;
  const info = poolInfo(input.shape, attrs as unknown as PoolAttrs);
  const dx = alloc(backend, size(input.shape));
  addon.maxPoolGrad(geometry(info), dyv, xv, dx);
  return output(backend, input.shape, dx);
});

// ---------------------------------------------------------------------------------------------
// Elementwise, reductions, transpose

/** Contiguous strides of `shape`, aligned to the right of an output of rank `rank`, 0 where broadcast. */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = outShape.length - shape.length + i;
    strides[d] = shape[i] === 1 && outShape[d] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/** Binary op codes of native/src/kernels.h. */
const BINARY: Record<string, number> = {
  [tf.Add]: 0,
  [tf.Sub]: 1,
  [tf.Multiply]: 2,
  [tf.RealDiv]: 3,
  [tf.Maximum]: 4,
  [tf.Minimum]: 5,
  [tf.SquaredDifference]: 6,
};

function binary(
  addon: NativeAddon,
  backend: MathBackendCPU,
  op: number,
  a: Info,
  b: Info,
): Info | null {
  const av = floats(backend, a);
  const bv = floats(backend, b);
  if (!av || !bv) return null;
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const dims = Int32Array.from([
    shape.length,
    ...shape,
    ...broadcastStrides(a.shape, shape),
    ...broadcastStrides(b.shape, shape),
  ]);
  const out = alloc(backend, size(shape));
  addon.binary(op, av, bv, out, dims);
  return output(backend, shape, out);
}

const binaryKernels = Object.entries(BINARY).map(([name, op]) =>
  nativeKernel(name, (addon, backend, { inputs }) =>
    binary(addon, backend, op, inputs.a as Info, inputs.b as Info),
  ),
);

const addN = nativeKernel(tf.AddN, (addon, backend, { inputs }) => {
  const tensors = inputs as unknown as Info[];
  const values = tensors.map((t) => floats(backend, t));
  const shape = tensors[0].shape;
  if (values.some((v) => !v) || tensors.some((t) => !tf.util.arraysEqual(t.shape, shape)))
    return null;
  const out = alloc(backend, values[0]!.length);
  out.set(values[0]!);
  const dims = Int32Array.from([1, out.length, 1, 1]);
  for (const v of values.slice(1)) addon.binary(BINARY[tf.Add], out, v!, out, dims);
  return output(backend, shape, out);
});

/** Unary op codes of native/src/kernels.h (attribute `alpha` for Step and LeakyRelu). */
const UNARY: Record<string, number> = {
  [tf.Relu]: 0,
  [tf.Relu6]: 1,
  [tf.Step]: 2,
  [tf.Neg]: 3,
  [tf.Exp]: 4,
  [tf.Log]: 5,
  [tf.Sqrt]: 6,
  [tf.Rsqrt]: 7,
  [tf.Square]: 8,
  [tf.Abs]: 9,
  [tf.Sigmoid]: 10,
  [tf.Tanh]: 11,
  [tf.Elu]: 12,
  [tf.LeakyRelu]: 13,
  [tf.Reciprocal]: 14,
  [tf.Erf]: 15,
};

const unaryKernels = Object.entries(UNARY).map(([name, op]) =>
  nativeKernel(name, (addon, backend, { inputs, attrs }) => {
    const x = inputs.x as Info;
    const xv = floats(backend, x);
    if (!xv) return null;
    const out = alloc(backend, xv.length);
    addon.unary(op, xv, out, (attrs as { alpha?: number } | undefined)?.alpha ?? 0);
    return output(backend, x.shape, out);
  }),
);

/** Reduction op codes of native/src/kernels.h. */
const REDUCE: Record<string, number> = { [tf.Sum]: 0, [tf.Max]: 1, [tf.Min]: 2, [tf.Mean]: 3 };

const reduceKernels = Object.entries(REDUCE).map(([name, op]) =>
  nativeKernel(name, (addon, backend, { inputs, attrs }) => {
    const x = inputs.x as Info;
    let xv = floats(backend, x);
    // Max names its axes `reductionIndices`, the others `axis`.
    const { axis, reductionIndices, keepDims } = attrs as {
      axis?: number | number[];
      reductionIndices?: number | number[];
      keepDims: boolean;
    };
    const axes = tf.util.parseAxisParam((axis ?? reductionIndices)!, x.shape).sort((p, q) => p - q);
    if (!xv || axes.length === 0 || axes.some((d) => x.shape[d] === 0)) return null;
    let shape = x.shape;
    let reduced = axes;
    if (axes.some((d, i) => i > 0 && d !== axes[i - 1] + 1)) {
      // Scattered axes: move them innermost first (one native transpose).
      const perm = [...shape.keys()].filter((d) => !axes.includes(d)).concat(axes);
      const moved = new Float32Array(xv.length);
      addon.transpose(xv, moved, Int32Array.from(shape), Int32Array.from(perm));
      xv = moved;
      shape = perm.map((d) => x.shape[d]);
      reduced = axes.map((_, i) => shape.length - axes.length + i);
    }
    const first = reduced[0];
    const last = reduced[reduced.length - 1];
    const outer = size(shape.slice(0, first));
    const inner = size(shape.slice(last + 1));
    const out = alloc(backend, outer * inner);
    addon.reduce(op, xv, out, outer, size(shape.slice(first, last + 1)), inner);
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    return output(
      backend,
      keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape,
      out,
    );
  }),
);

const transpose = nativeKernel(tf.Transpose, (addon, backend, { inputs, attrs }) => {
  const x = inputs.x as Info;
  const xv = floats(backend, x);
  if (!xv) return null;
  const perm = (attrs as { perm: number[] }).perm;
  const out = alloc(backend, xv.length);
  addon.transpose(xv, out, Int32Array.from(x.shape), Int32Array.from(perm));
  return output(
    backend,
    perm.map((d) => x.shape[d]),
    out,
  );
});

/** Softmax over the last axis (the only axis TF.js's Softmax kernel supports). */
const softmax = nativeKernel(tf.Softmax, (addon, backend, { inputs, attrs }) => {
  const logits = inputs.logits as Info;
  const xv = floats(backend, logits);
  const dim = (attrs as { dim: number }).dim;
  const last = logits.shape.length - 1;
  if (!xv || xv.length === 0 || (dim !== -1 && dim !== last)) return null;
  const out = alloc(backend, xv.length);
  addon.softmax(xv, out, logits.shape[last]);
  return output(backend, logits.shape, out);
});

/**
 * GatherV2 with batchDims 0 — `fit` slices every batch out of the data set with
 * it — as one block copy per index (the cpu kernel reads element by element through
 * `indexToLoc`: 28% of a native `fit` epoch on the MLP). Same bounds check as the cpu kernel.
 */
const gatherV2 = nativeKernel(tf.GatherV2, (_addon, backend, { inputs, attrs }) => {
  const { x, indices } = inputs as { x: Info; indices: Info };
  const xv = backend.data.get(x.dataId).values;
  const iv = backend.data.get(indices.dataId).values;
  const { axis, batchDims } = attrs as { axis: number; batchDims?: number };
  // Any numeric dtype, copied in the storage it has (the cpu oneHot keeps int32 in a
  // Float32Array; a cast bool keeps its Uint8Array).
  const typed =
    (xv instanceof Float32Array || xv instanceof Int32Array || xv instanceof Uint8Array) &&
    x.dtype !== 'string' &&
    x.dtype !== 'complex64';
  if (!typed || !(iv instanceof Int32Array) || (batchDims ?? 0) !== 0) return null;
  const source = xv;
  const a = tf.util.parseAxisParam(axis, x.shape)[0];
  const dim = x.shape[a];
  const outer = size(x.shape.slice(0, a));
  const inner = size(x.shape.slice(a + 1));
  for (const i of iv)
    tf.util.assert(
      i >= 0 && i <= dim - 1,
      () => `GatherV2: the index value ${i} is not in [0, ${dim - 1}]`,
    );
  const length = outer * iv.length * inner;
  const Same = source.constructor as new (n: number) => typeof source;
  const out =
    x.dtype === 'float32' && source instanceof Float32Array
      ? alloc(backend, length)
      : new Same(length);
  for (let o = 0, at = 0; o < outer; o++) {
    for (const i of iv) {
      const from = (o * dim + i) * inner;
      out.set(source.subarray(from, from + inner), at);
      at += inner;
    }
  }
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return backend.makeTensorInfo(shape, x.dtype, out);
});

/**
 * Reshape as the cpu kernel does it (a new shape on the same data), but without reading the
 * data: the cpu kernel's lookup would compute a deferred input that may never be needed.
 */
const reshape = nativeKernel(tf.Reshape, (_addon, backend, { inputs, attrs }) => {
  const x = inputs.x as Info;
  if (x.dtype === 'complex64') return null;
  const shape = tf.util.inferFromImplicitShape((attrs as { shape: number[] }).shape, size(x.shape));
  tf.util.assert(
    size(shape) === size(x.shape),
    () => `Reshape: [${x.shape}] cannot become [${shape}]`,
  );
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
});

/**
 * UnsortedSegmentSum (the gradient of `gather`, e.g. an embedding's) as one loop over the rows
 * (segment-sum.ts) instead of the cpu kernel's mask per segment.
 */
const unsortedSegmentSum = nativeKernel(
  tf.UnsortedSegmentSum,
  (_addon, backend, { inputs, attrs }) => {
    const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
    const xv = floats(backend, x);
    const ids = backend.data.get(segmentIds.dataId).values;
    if (!xv || !(ids instanceof Int32Array)) return null;
    const numSegments = (attrs as { numSegments: number }).numSegments;
    const rowShape = x.shape.slice(segmentIds.shape.length);
    const rowSize = size(rowShape);
    const out = alloc(backend, numSegments * rowSize).fill(0);
    addSegmentRows(out, xv, ids, numSegments, rowSize);
    return output(backend, [numSegments, ...rowShape], out);
  },
);

/**
 * SplitV by block copies (an LSTM splits its gate pre-activations into four at every step; the
 * cpu kernel slices a column block element by element).
 */
const splitV = nativeKernel(tf.SplitV, (_addon, backend, { inputs, attrs }) => {
  const x = inputs.x as Info;
  const xv = floats(backend, x);
  if (!xv) return null;
  const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number[] | number; axis: number };
  const a = tf.util.parseAxisParam(axis, x.shape)[0];
  const dim = x.shape[a];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
  const outer = size(x.shape.slice(0, a));
  const inner = size(x.shape.slice(a + 1));
  let offset = 0;
  return sizes.map((part) => {
    const out = alloc(backend, outer * part * inner);
    for (let o = 0; o < outer; o++) {
      const from = (o * dim + offset) * inner;
      out.set(xv.subarray(from, from + part * inner), o * part * inner);
    }
    offset += part;
    const shape = [...x.shape];
    shape[a] = part;
    return output(backend, shape, out);
  });
});

// ---------------------------------------------------------------------------------------------
// Block copies (block-copy.ts): the cpu kernels copy element by element through multi-indices.
// In a native ResNet-20 step they were 75% of the time (bench/RESULTS.md, run I): Slice 35% and
// PadV2 8% (the option-A shortcut and its gradient), Tile 32% (the batch-norm gradient).

/** Slice as contiguous runs copied into a fresh output (never a view, so the pool can reuse it). */
const slice = nativeKernel(tf.Slice, (_addon, backend, { inputs, attrs }) => {
  const x = inputs.x as Info;
  const xv = floats(backend, x);
  if (!xv) return null;
  const a = attrs as { begin: number | number[]; size?: number | number[] };
  const [begin, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, extent);
  const out = alloc(backend, size(extent));
  copyBox(xv, x.shape, begin, out, extent, new Array<number>(extent.length).fill(0), extent);
  return output(backend, extent, out);
});

/** PadV2: the fill, then x copied into the interior by contiguous runs. */
const padV2 = nativeKernel(tf.PadV2, (_addon, backend, { inputs, attrs }) => {
  const x = inputs.x as Info;
  const xv = floats(backend, x);
  const { paddings, constantValue } = attrs as {
    paddings: [number, number][];
    constantValue: number;
  };
  if (!xv || paddings.some(([before, after]) => before < 0 || after < 0)) return null;
  const shape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = alloc(backend, size(shape)).fill(constantValue);
  const begin = paddings.map(([before]) => before);
  copyBox(xv, x.shape, new Array<number>(x.shape.length).fill(0), out, shape, begin, x.shape);
  return output(backend, shape, out);
});

/** Tile: x copied once, then each axis repeated as whole contiguous blocks (`tileInto`). */
const tile = nativeKernel(tf.Tile, (_addon, backend, { inputs, attrs }) => {
  const x = inputs.x as Info;
  const xv = floats(backend, x);
  if (!xv) return null;
  const reps = (attrs as { reps: number[] }).reps;
  const shape = x.shape.map((d, i) => d * reps[i]);
  const out = alloc(backend, size(shape));
  tileInto(xv, x.shape, reps, out);
  return output(backend, shape, out);
});

/** Every native kernel, built for an addon (registered by native-backend.ts). */
// ---------------------------------------------------------------------------------------------
// Fused kernels (fused-kernels.ts): no cpu kernel of the name to fall back on, and no need —
// their inputs are float32 by construction.

/**
 * PER's f(x) and erf(x/√2) in one pass (native/src/elementwise.cc projectedError); not
 * registered with an addon built before it, so PER runs its composite there.
 */
const projectedError = (addon: NativeAddon): tf.KernelConfig | undefined =>
  addon.projectedError
    ? nativeKernel(PROJECTED_ERROR_KERNEL, (_, backend, { inputs }) => {
        const x = inputs.x as Info;
        const xv = floats(backend, x);
        if (!xv) return null;
        const value = alloc(backend, xv.length);
        const erf = alloc(backend, xv.length);
        addon.projectedError!(xv, value, erf);
        return [output(backend, x.shape, value), output(backend, x.shape, erf)];
      })(addon)
    : undefined;

/** The native kernels (a factory returns undefined where the addon lacks the function). */
export const NATIVE_KERNELS: ((addon: NativeAddon) => tf.KernelConfig | undefined)[] = [
  batchMatMul,
  fusedMatMul,
  conv2D,
  fusedConv2D,
  conv2DBackpropInput,
  conv2DBackpropFilter,
  maxPool,
  avgPool,
  maxPoolGrad,
  ...binaryKernels,
  addN,
  ...unaryKernels,
  ...reduceKernels,
  transpose,
  softmax,
  gatherV2,
  reshape,
  unsortedSegmentSum,
  splitV,
  slice,
  padV2,
  tile,
  projectedError,
];
