/**
 * Small helpers shared by reglab's wasm kernel fixes: calling stock wasm kernels from inside a
 * kernel and freeing the intermediate buffers they return.
 *
 * Inside a kernel there is no engine bookkeeping: an intermediate `TensorInfo` returned by a stock
 * kernel owns wasm heap memory that only `backend.disposeData` frees, so every helper that makes
 * one is paired with {@link freeInfos}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ReglabError } from '../core/errors.js';

/** The `TensorInfo` shape kernels receive and return. */
export type Info = tf.TensorInfo;

/** The argument of a kernel function (not exported by tfjs-core under a name). */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Looks up a stock kernel registered for the wasm backend; fails clearly if wasm is not loaded. */
export function wasmKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config == null) {
    throw new ReglabError(
      `wasm kernel ${name} is not registered`,
      "import '@tensorflow/tfjs-backend-wasm' (or call selectBackend('wasm')) before installing the wasm kernel fixes",
    );
  }
  return config;
}

/** Runs the stock wasm kernel `name` on tensor infos (no engine tracking: free the result). */
export function runWasm(
  name: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): Info {
  return wasmKernel(name).kernelFunc({ inputs, backend, attrs }) as Info;
}

/** Transposes `x` with the wasm Transpose kernel (XNNPACK-speed, a copy: free it). */
export function transposeInfo(backend: BackendWasm, x: Info, perm: number[]): Info {
  return runWasm(tf.Transpose, backend, { x }, { perm });
}

/** Frees intermediate buffers made inside a kernel. */
export function freeInfos(backend: BackendWasm, infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Where a stride-1 convolution starts and how many outputs it must produce. */
export interface CroppedConv {
  /** Filter dilation [height, width]. */
  dilations: [number, number];
  /** Zero rows above / columns left of the input. */
  top: number;
  left: number;
  /** Output height and width wanted. */
  outHeight: number;
  outWidth: number;
}

/**
 * Stride-1 wasm Conv2D of `x` [N, H, W, C] with `filter` [kh, kw, C, O] producing exactly
 * outHeight×outWidth outputs: the far edges are zero-padded as far as needed (zeros past an edge
 * are zeros in the original op too) and any surplus is cropped. Free the result.
 */
export function conv2dCropped(backend: BackendWasm, x: Info, filter: Info, c: CroppedConv): Info {
  const [, h, w] = x.shape;
  const [kh, kw, , o] = filter.shape;
  const far = (out: number, size: number, before: number, k: number, d: number) =>
    Math.max(0, out - size - before + (k - 1) * d);
  const bottom = far(c.outHeight, h, c.top, kh, c.dilations[0]);
  const right = far(c.outWidth, w, c.left, kw, c.dilations[1]);
  const full = runWasm(
    tf.Conv2D,
    backend,
    { x, filter },
    {
      strides: [1, 1],
      dilations: c.dilations,
      pad: [
        [0, 0],
        [c.top, bottom],
        [c.left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  if (full.shape[1] === c.outHeight && full.shape[2] === c.outWidth) return full;
  try {
    const size = [x.shape[0], c.outHeight, c.outWidth, o];
    return runWasm(tf.Slice, backend, { x: full }, { begin: [0, 0, 0, 0], size });
  } finally {
    freeInfos(backend, [full]);
  }
}
