/**
 * `sphere(r)`: each neuron's incoming weight vector has norm r (arXiv 2006.10114 §3.1). The
 * kernel is viewed as a matrix M = [n, p] with one column per output unit (dense [in, out];
 * conv [kh·kw·in, out]), and for every column m_j:
 *   g_j(M) = |m_j|² − r² = 0
 *   Π_M(V) = V − M·diag(m_jᵀv_j)/r²                      (tangent projection, per column)
 *   SHAKE:  M' = M̃ + M·diag(λ_j),  λ_j = (−b_j + √(b_j² − r²(|m̃_j|² − r²)))/r²,  b_j = m̃_jᵀm_j
 * followed by a float32 renormalisation of each column to norm r.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { ShakeConstraint, sphereMultiplier } from './constraint.js';

/** Sum over all axes but the last (one value per output unit), keeping dims for broadcasting. */
function columnSum(x: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  return tf.sum(x, axes, true);
}

export class SphereConstraint extends ShakeConstraint {
  readonly kind = 'sphere' as const;

  constructor(readonly r: number) {
    super();
    check(
      Number.isFinite(r) && r > 0,
      `sphere radius ${r} is not a positive number`,
      'use e.g. sphere(1)',
    );
  }

  spec(): string {
    return `sphere:${this.r}`;
  }

  /** Scales every column to norm r. */
  initialise(theta: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => [tf.mul(theta, tf.mul(this.r, tf.rsqrt(columnSum(tf.square(theta)))))]);
  }

  /** max_j ||m_j|² − r²| / r². */
  residual(q: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => {
      const r2 = this.r * this.r;
      return tf.div(tf.max(tf.abs(tf.sub(columnSum(tf.square(q[0])), r2))), r2) as tf.Scalar;
    });
  }

  /** Π_M(V) = V − M·diag(m_jᵀv_j)/r². */
  tangent(q: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[] {
    const m = q[0];
    return [tf.sub(v[0], tf.mul(m, tf.div(columnSum(tf.mul(m, v[0])), this.r * this.r)))];
  }

  /** Closed-form SHAKE per column, then renormalise. */
  project(mOld: tf.Tensor, mTilde: tf.Tensor): tf.Tensor {
    const b = columnSum(tf.mul(mTilde, mOld));
    const lambda = sphereMultiplier(b, columnSum(tf.square(mTilde)), this.r);
    const m = tf.add(mTilde, tf.mul(lambda, mOld));
    return tf.mul(m, tf.mul(this.r, tf.rsqrt(columnSum(tf.square(m)))));
  }
}

/** Each output unit's incoming weights on the sphere of radius r. */
export function sphere(r: number): SphereConstraint {
  return new SphereConstraint(r);
}
