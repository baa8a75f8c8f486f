/**
 * Picks the fastest TF.js backend this browser has: WebGPU where `navigator.gpu` gives an
 * adapter, else WebGL, else wasm (always there). Each backend is its own chunk, loaded only when
 * tried. wasm finds its three `.wasm` files through Vite's `?url` imports (`setWasmPaths` must
 * come before `setBackend`) and gets reglab's kernel fixes, as in Node (conv nets train only
 * with them).
 */
import * as tf from '@tensorflow/tfjs-core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { installWasmKernelFixes } from '../../../src/browser.js';

/** The backends the lab tries, fastest first. */
export const LAB_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type LabBackend = (typeof LAB_BACKENDS)[number];

/** Loads one backend's package; throws with the reason it is unavailable here. */
const LOADERS: Record<LabBackend, () => Promise<string>> = {
  async webgpu() {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) throw new Error('no navigator.gpu');
    if (!(await gpu.requestAdapter())) throw new Error('navigator.gpu gives no adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
    return 'webgpu';
  },
  async webgl() {
    if (typeof OffscreenCanvas === 'undefined') throw new Error('no OffscreenCanvas in workers');
    const probe = new OffscreenCanvas(1, 1);
    if (!probe.getContext('webgl2') && !probe.getContext('webgl'))
      throw new Error('no WebGL context');
    await import('@tensorflow/tfjs-backend-webgl');
    return 'webgl';
  },
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
    return 'wasm';
  },
};

/**
 * Starts the first backend of `order` that works and returns a line saying which, with the
 * reasons the others were skipped.
 */
export async function startBackend(order: readonly LabBackend[] = LAB_BACKENDS): Promise<string> {
  const skipped: string[] = [];
  for (const name of order) {
    try {
      await LOADERS[name]();
      if (!(await tf.setBackend(name))) throw new Error('initialisation failed');
      await tf.ready();
      await probe();
      if (name === 'wasm') installWasmKernelFixes();
      const why = skipped.length ? ` (skipped ${skipped.join('; ')})` : '';
      return `${describe(name)}${why}`;
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no TF.js backend starts in this browser: ${skipped.join('; ')}`);
}

/**
 * Uploads a small matrix, multiplies and reads the product back synchronously, as every training
 * step does (`Trainer.trainStep` uses `dataSync`): a backend that initialises but cannot run (seen
 * with WebGPU on SwiftShader: "createBuffer failed, size (128) is too large … when
 * mappedAtCreation == true") is skipped here instead of failing the first step.
 */
async function probe(): Promise<void> {
  const uploaded = new Float32Array(32).fill(1);
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(uploaded, [4, 8]), tf.ones([8, 3])));
  const values = product.dataSync();
  product.dispose();
  if (values[0] !== 8) throw new Error(`a test matmul gave ${values[0]}, not 8`);
}

function describe(name: LabBackend): string {
  if (name !== 'wasm') return name;
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'threads' : '1 thread';
  return `wasm (${simd}, ${threads}, reglab kernel fixes)`;
}

/** Parses a `backend=` URL value: one backend to use, or every one in order when absent. */
export function backendOrder(value: string | undefined): readonly LabBackend[] {
  if (value === undefined || value === '') return LAB_BACKENDS;
  if (!(LAB_BACKENDS as readonly string[]).includes(value))
    throw new Error(`backend=${value} is not one of ${LAB_BACKENDS.join(', ')}`);
  return [value as LabBackend];
}
