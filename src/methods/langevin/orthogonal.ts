/**
 * `orthogonal()`: the kernel, viewed as a matrix M (dense [in, out]; conv [kh·kw·in, out]), has
 * orthonormal columns or rows — the Gram matrix of the smaller side is the identity
 * (arXiv 2006.10114 §3.2, the Stiefel manifold):
 *   tall (n ≥ p):  g(M) = MᵀM − I,   Π_M(V) = V − ½M(VᵀM + MᵀV)
 *   wide (n < p):  g(M) = MMᵀ − I,   Π_M(V) = V − ½(VMᵀ + MVᵀ)M
 *   SHAKE (tall):  Y ← Y − ½M_n(YᵀY − I)   until max|YᵀY − I| < tol   (wide: Y ← Y − ½(YYᵀ − I)M_n)
 * The wide formulas are the tall ones applied to Mᵀ, so a wide kernel is transposed (not
 * reshaped, which is the official code's bug) into a tall X = Mᵀ, handled there and transposed
 * back. SHAKE stops on the tolerance (default 1e-6; 1–2 corrections per projection, float32 plateaus
 * at ~1–2e-7) rather than running a fixed 10 iterations.
 *
 * Cost: one SHAKE correction is a Gram matrix YᵀY and a product X_n·λ, and a projection
 * usually needs one correction and the check after it; the products XᵀV are taken with
 * matMul's transpose flag (the native backend reads the operand transposed in place, reglab's
 * wasm fix transposes it first), so a Gram matrix of one tensor reaches the native kernel as
 * the same array twice and costs half a product there (symmetric rank-k update).
 *
 * Initialisation onto the manifold: the Newton–Schulz polar iteration X ← X(3I − XᵀX)/2 from
 * X/‖X‖_F (all singular values ≤ 1), i.e. the orthogonal polar factor of the kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../../core/errors.js';
import { ShakeConstraint } from './constraint.js';

/** The tall matrix view of a kernel: [n, p] with n = prod(all but last axis), transposed if wide. */
export function tallView(theta: tf.Tensor): tf.Tensor2D {
  const p = theta.shape[theta.shape.length - 1];
  const n = theta.size / p;
  const m = tf.reshape(theta, [n, p]) as tf.Tensor2D;
  return n >= p ? m : tf.transpose(m);
}

/** Inverse of {@link tallView}. */
export function fromTallView(x: tf.Tensor2D, shape: readonly number[]): tf.Tensor {
  const p = shape[shape.length - 1];
  const n = x.size / p;
  return tf.reshape(n >= p ? x : tf.transpose(x), shape as number[]);
}

/** XᵀY (XᵀX when both are the same tensor: exactly symmetric on the native backend). */
function gram(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(x, y, true, false);
}

export class OrthogonalConstraint extends ShakeConstraint {
  readonly kind = 'orthogonal' as const;
  /** SHAKE statistics (for benches): projections done and corrections applied in total. */
  readonly stats = { projections: 0, corrections: 0 };

  spec(): string {
    return 'orthogonal';
  }

  /** Newton–Schulz polar iteration to max|XᵀX − I| < 1e-6 (at most 100 iterations). */
  initialise(theta: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      let x = tallView(theta);
      const eye = tf.eye(x.shape[1]);
      x = tf.div(x, tf.norm(x)) as tf.Tensor2D;
      let residual = Infinity;
      for (let i = 0; i < 100; i++) {
        residual = tf.tidy(() => tf.max(tf.abs(tf.sub(gram(x, x), eye))).dataSync()[0]);
        if (residual < 1e-6) break;
        const next = tf.tidy(
          () => tf.sub(tf.mul(1.5, x), tf.mul(0.5, tf.matMul(x, gram(x, x)))) as tf.Tensor2D,
        );
        x.dispose();
        x = next;
      }
      if (!(residual < 1e-4)) {
        throw new ReglabError(
          `orthogonal initialisation did not converge (residual ${residual})`,
          'the kernel is (nearly) rank-deficient; re-initialise it, e.g. with an orthogonal initializer',
        );
      }
      return [fromTallView(x, theta.shape)];
    });
  }

  /** max|MᵀM − I| (tall view). */
  residual(q: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => {
      const x = tallView(q[0]);
      return tf.max(tf.abs(tf.sub(gram(x, x), tf.eye(x.shape[1])))) as tf.Scalar;
    });
  }

  /** Π_X(V) = V − ½X(VᵀX + XᵀV) in the tall view. */
  tangent(q: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[] {
    const x = tallView(q[0]);
    const s = gram(x, tallView(v[0]));
    const sym = tf.mul(0.5, tf.add(s, tf.transpose(s))) as tf.Tensor2D;
    return [fromTallView(tf.sub(tallView(v[0]), tf.matMul(x, sym)) as tf.Tensor2D, q[0].shape)];
  }

  /** SHAKE: Y ← Y − ½X_n(YᵀY − I) until max|YᵀY − I| < tol (at most maxIter corrections). */
  project(old: tf.Tensor, tilde: tf.Tensor, tol: number, maxIter: number): tf.Tensor {
    const x = tallView(old);
    let y = tallView(tilde);
    const eye = tf.eye(x.shape[1]);
    this.stats.projections++;
    for (let k = 0; k < maxIter; k++) {
      const lambda = tf.sub(gram(y, y), eye);
      if (tf.max(tf.abs(lambda)).dataSync()[0] < tol) break;
      y = tf.sub(y, tf.matMul(x, tf.mul(0.5, lambda) as tf.Tensor2D));
      this.stats.corrections++;
    }
    return fromTallView(y, old.shape);
  }
}

/** Orthonormal columns (tall) or rows (wide) of each kernel. */
export function orthogonal(): OrthogonalConstraint {
  return new OrthogonalConstraint();
}
