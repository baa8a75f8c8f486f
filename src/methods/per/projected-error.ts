/**
 * The projected error function and the PER estimate of Joo, Kang & Kim, "Regularizing
 * activations in neural networks via distribution matching with the Wasserstein metric"
 * (ICLR 2020, arXiv 2002.05366).
 *
 *   f(x) = E_{y~N(0,1)} |x − y| = x·erf(x/√2) + √(2/π)·exp(−x²/2)          (Lemma 1)
 *   f'(x) = erf(x/√2)
 *   L_per(h) = (1/b) Σ_i E_{θ~U(S^{d−1})} f(⟨θ, h_i⟩)                         (Sec. 3)
 *           ≈ (1/b) Σ_i (1/s) Σ_k f(⟨θ_k, h_i⟩),  θ_k = v_k/‖v_k‖, v_k ~ N(0, I_d)
 *
 * For every direction θ the inner mean is the expected distance of an independent coupling
 * between the projected activations and N(0, 1), so it bounds the 1-D W1 distance from above:
 * L_per ≥ sliced W1 on the same directions (Corollary 2). By Jensen (f convex, f ≥ f(0)),
 * L_per ≥ √(2/π) with equality only at h = 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { erf } from '../../core/special.js';
import { hasFusedKernel, PROJECTED_ERROR_KERNEL } from '../../backend/fused-kernels.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** f(x) = E_{y~N(0,1)}|x − y| = x·erf(x/√2) + √(2/π)·e^{−x²/2} in double precision (an oracle). */
export function projectedErrorScalar(x: number): number {
  return x * erf(x / Math.SQRT2) + SQRT_2_OVER_PI * Math.exp(-0.5 * x * x);
}

/**
 * f(x) = x·erf(x/√2) + √(2/π)·exp(−x²/2), elementwise, by plain ops: autodiff's gradient is
 * erf(x/√2) + x·√(2/π)e^{−x²/2} − x·√(2/π)e^{−x²/2} = erf(x/√2) (Lemma 1).
 */
export function projectedErrorFunction(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const gaussianTerm = tf.mul(SQRT_2_OVER_PI, tf.exp(tf.mul(-0.5, tf.square(x))));
    return tf.add(tf.mul(x, tf.erf(tf.mul(x, Math.SQRT1_2))), gaussianTerm);
  });
}

/**
 * The same f with its gradient given in closed form, dy·erf(x/√2), reusing the forward erf:
 * the backward pass is one multiply instead of autodiff's six elementwise ops. The PER term
 * uses this one (see bench/per.ts for the step-time difference). Where the backend has the
 * fused kernel (backend/fused-kernels.ts: the native backend), f and erf are one kernel that
 * shares the exponential: exp(−x²/2) is both the Gaussian term and erf's exp(−(x/√2)²).
 */
export const projectedError: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...inputs) => {
  const input = inputs[0] as tf.Tensor;
  const save = inputs[1] as tf.GradSaveFunc;
  const [value, erfValue] = hasFusedKernel(PROJECTED_ERROR_KERNEL)
    ? (tf.engine().runKernel(PROJECTED_ERROR_KERNEL, { x: input }) as tf.Tensor[])
    : projectedErrorWithErf(input);
  save([erfValue]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]),
  };
});

/** [f(x), erf(x/√2)] by stock ops (the composite of the fused kernel). */
function projectedErrorWithErf(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const erfValue = tf.erf(tf.mul(x, Math.SQRT1_2));
  const gaussianTerm = tf.mul(SQRT_2_OVER_PI, tf.exp(tf.mul(-0.5, tf.square(x))));
  return [tf.add(tf.mul(x, erfValue), gaussianTerm), erfValue];
}

/**
 * L_per of one `[b, d]` activation matrix on given unit directions `[d, s]`:
 * (1/b) Σ_i (1/s) Σ_k f(⟨θ_k, h_i⟩) — one b×d by d×s matrix product.
 */
export function projectedErrorLoss(activations: tf.Tensor2D, directions: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(projectedError(tf.matMul(activations, directions))) as tf.Scalar);
}
