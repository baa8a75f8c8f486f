/**
 * `Conv2DBackpropFilter` for wasm, built from the fast stock wasm `Conv2D` kernel.
 *
 * TF.js 4.22 registers no `Conv2DBackpropFilter` on wasm (tfjs issue 8474), so any conv net fails
 * on its first training step. The filter gradient is a correlation of the input with the output
 * gradient:
 *
 *   dW[i, j, c, o] = Σ_{n,p,q} x[n, i + p·s − padTop, j + q·s − padLeft, c] · dy[n, p, q, o]
 *
 * which is itself a convolution once the roles are swapped: input channels `c` become the batch,
 * the examples `n` become the channels, `dy` becomes a filter of size outH×outW applied with
 * dilation = stride, and the output (one value per filter tap i, j) is cropped to kh×kw.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ReglabError } from '../core/errors.js';
import {
  conv2dCropped,
  freeInfos,
  transposeInfo,
  type Info,
  type KernelArgs,
} from './wasm-util.js';

type Attrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
};

/** Computes dW [kh, kw, inC, outC] from x [N, H, W, inC] and dy [N, outH, outW, outC]. */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Attrs;
  if (dataFormat === 'NCHW') {
    throw new ReglabError(
      'Conv2DBackpropFilter on wasm supports only NHWC',
      "use dataFormat 'channelsLast'",
    );
  }
  const wasm = backend as BackendWasm;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [kh, kw] = filterShape;
  const temps: Info[] = [];
  const keep = (t: Info) => (temps.push(t), t);
  try {
    const images = keep(transposeInfo(wasm, x, [3, 1, 2, 0])); // [inC, H, W, N]
    const filter = keep(transposeInfo(wasm, dy, [1, 2, 0, 3])); // [outH, outW, N, outC]
    const taps = keep(
      conv2dCropped(wasm, images, filter, {
        dilations: [info.strideHeight, info.strideWidth],
        top: info.padInfo.top,
        left: info.padInfo.left,
        outHeight: kh,
        outWidth: kw,
      }),
    ); // [inC, kh, kw, outC]
    return transposeInfo(wasm, taps, [1, 2, 0, 3]);
  } finally {
    freeInfos(wasm, temps);
  }
}

/** Kernel config registering {@link conv2DBackpropFilter} for the wasm backend. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
