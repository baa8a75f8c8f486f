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
