/**
 * Fast `Conv2DBackpropInput` for wasm, built from the stock wasm `Conv2D` kernel.
 *
 * The stock wasm `Conv2DBackpropInput` is a naive loop, ~15× slower than the XNNPACK forward
 * convolution of the same size, and every conv layer but the first runs it each training step.
 * The input gradient is a "full" correlation of the output gradient with the flipped filter:
 *
 *   dx[n, h, w, c] = Σ_{i,j,o} dyUp[n, h + (kh−1−padTop) − i', …, o] · W[kh−1−i', kw−1−j', c, o]
 *
 * where dyUp is dy with stride−1 zeros inserted between its rows and columns. So: upsample dy
 * (reshape, zero-pad, reshape), flip W in space and swap its channel axes, and run a stride-1
 * convolution padded by k−1−pad, cropped to the input size.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  conv2dCropped,
  freeInfos,
  runWasm,
  transposeInfo,
  type Info,
  type KernelArgs,
} from './wasm-util.js';

/** Inserts `s − 1` zeros after every row/column of `dy` [N, oh, ow, C] (free the result). */
function upsample(backend: BackendWasm, dy: Info, sh: number, sw: number): Info {
  const [n, oh, ow, c] = dy.shape;
  const spread = runWasm(tf.Reshape, backend, { x: dy }, { shape: [n, oh, 1, ow, 1, c] });
  const paddings = [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ];
  const padded = runWasm(tf.PadV2, backend, { x: spread }, { paddings, constantValue: 0 });
  try {
    return runWasm(tf.Reshape, backend, { x: padded }, { shape: [n, oh * sh, ow * sw, c] });
  } finally {
    freeInfos(backend, [spread, padded]);
  }
}

/** W [kh, kw, in, out] → W[kh−1−i, kw−1−j, out, in] (free the result). */
function flipFilter(backend: BackendWasm, filter: Info): Info {
  const reversed = runWasm(tf.Reverse, backend, { x: filter }, { dims: [0, 1] });
  try {
    return transposeInfo(backend, reversed, [0, 1, 3, 2]);
  } finally {
    freeInfos(backend, [reversed]);
  }
}

/**
 * Wraps the stock kernel: NCHW and explicit pads wider than the filter (rare) still go to the
 * stock kernel.
 */
export function fastConv2DBackpropInput(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: Info; filter: Info };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    const filterShape = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const top = filterShape[0] - 1 - info.padInfo.top;
    const left = filterShape[1] - 1 - info.padInfo.left;
    if (dataFormat === 'NCHW' || top < 0 || left < 0) return stock.kernelFunc(args);
    const wasm = args.backend as BackendWasm;
    const strided = info.strideHeight > 1 || info.strideWidth > 1;
    const temps: Info[] = [];
    try {
      const up = strided ? upsample(wasm, dy, info.strideHeight, info.strideWidth) : dy;
      if (strided) temps.push(up);
      const flipped = flipFilter(wasm, filter);
      temps.push(flipped);
      return conv2dCropped(wasm, up, flipped, {
        dilations: [1, 1],
        top,
        left,
        outHeight: inputShape[1],
        outWidth: inputShape[2],
      });
    } finally {
      freeInfos(wasm, temps);
    }
  };
  return { ...stock, kernelFunc };
}
