/**
 * `none`: the unconstrained case (biases and batch-norm parameters by default). Π is the
 * identity and there is nothing to project, so the optimizers reduce to plain underdamped
 * Langevin (BAOAB) and plain SGLD; with τ = 0, to SGD with momentum and SGD.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Constraint, StepParams } from './constraint.js';

export class NoConstraint implements Constraint {
  readonly kind = 'none' as const;
  readonly auxNames: readonly string[] = [];

  spec(): string {
    return 'none';
  }

  checkShape(): void {}

  initialise(theta: tf.Tensor): tf.Tensor[] {
    return [tf.clone(theta)];
  }

  residual(): tf.Scalar {
    return tf.scalar(0);
  }

  tangent(_q: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[] {
    return v.map((x) => tf.clone(x));
  }

  ambientVelocity(_q: tf.Tensor[], vel: tf.Tensor): tf.Tensor[] {
    return [vel];
  }

  /** B: v ← v − h∇L. */
  kick(_q: tf.Tensor[], vel: tf.Tensor, grad: tf.Tensor, h: number): tf.Tensor {
    return tf.sub(vel, tf.mul(h, grad));
  }

  /**
   * A O A fused (A is a free drift, so it commutes with nothing to project):
   *   v' = c·v + d·R,   θ' = θ + (h/2)(v + v').
   */
  driftThermostat(
    q: tf.Tensor[],
    vel: tf.Tensor,
    p: StepParams,
  ): { q: tf.Tensor[]; vel: tf.Tensor } {
    let vNew = tf.mul(p.c, vel);
    if (p.noise > 0) vNew = tf.add(vNew, tf.mul(p.noise, p.rng.normalTensor(vel.shape)));
    const theta = tf.add(q[0], tf.mul(p.h / 2, tf.add(vel, vNew)));
    return { q: [theta], vel: vNew };
  }

  /** θ' = θ − h∇L + σR. */
  overdamped(q: tf.Tensor[], grad: tf.Tensor, p: StepParams): tf.Tensor[] {
    let theta = tf.sub(q[0], tf.mul(p.h, grad));
    if (p.noise > 0) theta = tf.add(theta, tf.mul(p.noise, p.rng.normalTensor(grad.shape)));
    return [theta];
  }
}

/** The unconstrained "constraint". */
export function none(): NoConstraint {
  return new NoConstraint();
}
