/**
 * Fast transposed matrix products on wasm.
 *
 * The stock wasm `BatchMatMul` and `_FusedMatMul` take XNNPACK's fast path only when neither
 * operand is transposed; with `transposeA` or `transposeB` they fall back to a naive loop that is
 * ~20× slower (128×784 · 784×256: ~3 ms plain, 45–70 ms transposed). Every dense layer's backward
 * pass asks for `xᵀ·dy` and `dy·Wᵀ`, so training paid that price twice per layer. The fix
 * materialises the transpose with the (fast, O(n)) wasm Transpose kernel and calls the stock kernel
 * with both flags false.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { freeInfos, transposeInfo, type Info } from './wasm-util.js';

/** Swaps the last two axes of `x` (the matrix axes of a batched matmul operand). */
function swapMatrixAxes(backend: BackendWasm, x: Info): Info {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return transposeInfo(backend, x, perm);
}

/**
 * Wraps a stock matmul kernel (`BatchMatMul` or `_FusedMatMul`: both take inputs `a`, `b` and
 * attrs `transposeA`, `transposeB`) so that it never sees a transpose flag.
 */
export function transposeFirst(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return stock.kernelFunc({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const temps: Info[] = [];
    const plain = (x: Info, transposed: boolean | undefined): Info => {
      if (!transposed) return x;
      const t = swapMatrixAxes(wasm, x);
      temps.push(t);
      return t;
    };
    try {
      const a = plain(inputs.a as Info, transposeA);
      const b = plain(inputs.b as Info, transposeB);
      return stock.kernelFunc({
        inputs: { ...inputs, a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      freeInfos(wasm, temps);
    }
  };
  // Keep the stock setup so the fix also works when installed before the backend initialises.
  return { ...stock, kernelFunc };
}
