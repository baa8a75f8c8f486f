/**
 * Installs (and removes) reglab's fixes to the TF.js 4.22 wasm backend:
 *
 * - `BatchMatMul`, `_FusedMatMul`: transposed operands are transposed first (~20× faster; see
 *   `wasm-matmul.ts`);
 * - `Conv2DBackpropFilter`: missing on wasm, built from the wasm `Conv2D` kernel (conv nets train);
 * - `Conv2DBackpropInput`: the stock naive loop replaced by the wasm `Conv2D` kernel (~5× faster);
 * - `UnsortedSegmentSum`: missing on wasm, a JS loop (`gather` gets a gradient).
 *
 * Kernels are looked up per call by the engine, so installing takes effect immediately, also on an
 * already initialised backend. Not fixed: wasm threads are forced off in Node (1 thread).
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './wasm-conv-backprop-filter.js';
import { fastConv2DBackpropInput } from './wasm-conv-backprop-input.js';
import { transposeFirst } from './wasm-matmul.js';
import { unsortedSegmentSumConfig } from './wasm-segment-sum.js';
import { wasmKernel } from './wasm-util.js';

/** One fix: builds its kernel from the stock one (undefined where wasm has none). */
interface KernelFix {
  kernelName: string;
  build(stock: tf.KernelConfig | undefined): tf.KernelConfig;
}

const FIXES: KernelFix[] = [
  { kernelName: tf.BatchMatMul, build: (stock) => transposeFirst(stock!) },
  { kernelName: tf._FusedMatMul, build: (stock) => transposeFirst(stock!) },
  { kernelName: tf.Conv2DBackpropFilter, build: () => conv2DBackpropFilterConfig },
  { kernelName: tf.Conv2DBackpropInput, build: (stock) => fastConv2DBackpropInput(stock!) },
  { kernelName: tf.UnsortedSegmentSum, build: () => unsortedSegmentSumConfig },
];

/** The stock kernels replaced by the installed fixes (undefined: none was registered). */
let replaced: Map<string, tf.KernelConfig | undefined> | null = null;

/** Names of the kernels {@link installWasmKernelFixes} registers for the wasm backend. */
export const WASM_KERNEL_FIXES: readonly string[] = FIXES.map((f) => f.kernelName);

/**
 * Registers reglab's wasm kernel fixes, replacing the stock kernels of the same names.
 * Idempotent. Needs `@tensorflow/tfjs-backend-wasm` to be imported (`selectBackend('wasm')` does
 * both); the wasm backend need not be initialised yet.
 *
 * @throws ReglabError if the wasm backend is not loaded.
 */
export function installWasmKernelFixes(): void {
  if (replaced) return;
  wasmKernel(tf.BatchMatMul); // fails clearly if the wasm backend is not loaded
  const stockKernels = new Map<string, tf.KernelConfig | undefined>();
  for (const fix of FIXES) {
    const stock = tf.getKernel(fix.kernelName, 'wasm');
    const config = fix.build(stock);
    if (stock) tf.unregisterKernel(fix.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelName: fix.kernelName, backendName: 'wasm' });
    stockKernels.set(fix.kernelName, stock);
  }
  replaced = stockKernels;
}

/** Restores the stock wasm kernels (for A/B benchmarks and tests). Idempotent. */
export function uninstallWasmKernelFixes(): void {
  if (!replaced) return;
  for (const [name, stock] of replaced) {
    tf.unregisterKernel(name, 'wasm');
    if (stock) tf.registerKernel(stock);
  }
  replaced = null;
}

/** Whether {@link installWasmKernelFixes} is in effect. */
export function wasmKernelFixesInstalled(): boolean {
  return replaced !== null;
}
