/**
 * Fused kernels: one TF.js kernel for a small composite op that a method runs on every step,
 * registered by the backends that implement it (the native backend, native-kernels.ts). Each
 * is named here so that the method (above this layer) and the backend agree on the name and
 * the contract; where the active backend has no such kernel the method runs its composite of
 * stock ops, with the same values to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `ReglabProjectedError`: inputs `{x}` (float32), outputs `[f(x), erf(x/√2)]` with PER's
 * projected error function f(x) = x·erf(x/√2) + √(2/π)·exp(−x²/2) (methods/per/
 * projected-error.ts), erf by TF.js's own Abramowitz–Stegun formula. The second output is
 * f's derivative, saved for the backward pass.
 */
export const PROJECTED_ERROR_KERNEL = 'ReglabProjectedError';

/** Whether the active backend registered the kernel `name`. */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
