/**
 * The contract every weight constraint of the constrained Langevin optimizers fulfils, in the
 * geotorch style: one small class per manifold (`none.ts`, `circle.ts`, `sphere.ts`,
 * `orthogonal.ts`), each knowing its residual g(θ), its tangent projection Π_θ and its position
 * projection (SHAKE / a closed-form Lagrange multiplier), and how to put a weight onto the
 * manifold.
 *
 * Notation (Leimkuhler, Pouchon, Vlaar, Storkey, arXiv 2006.10114, §3; Leimkuhler & Matthews,
 * "Molecular Dynamics", ch. 7): the constrained dynamics live on Σ = {q : g(q) = 0} with the
 * Lagrange multiplier acting along ∇g at the *old* point (SHAKE), momenta kept in the tangent
 * space T_qΣ = {v : ∇g(q)ᵀv = 0} (RATTLE). The extended position q is the weight θ plus the
 * constraint's auxiliaries (the circle's ξ); the optimizer stores them and the velocity.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Random } from '../../core/random.js';

export type ConstraintKind = 'none' | 'circle' | 'sphere' | 'orthogonal';

/** Step parameters the optimizers hand to a constraint. */
export interface StepParams {
  /** Step size h. */
  h: number;
  /** Friction factor c = e^{−γh} (underdamped only). */
  c: number;
  /** Noise scale: underdamped d = √(τ(1 − c²)); overdamped σ = √(2hτ). */
  noise: number;
  /** Index of this step (the optimizer's iteration count before it), for periodic clean-ups. */
  step: number;
  /** Seeded generator for the noise draws. */
  rng: Random;
  /** SHAKE tolerance on the residual and its iteration cap. */
  shakeTol: number;
  shakeMaxIter: number;
}

/** A weight constraint. `q = [θ, ...aux]`; all tensors of `q` and `vel` have θ's shape. */
export interface Constraint {
  readonly kind: ConstraintKind;
  /** Names of the auxiliary coordinates stored next to θ (circle: `['xi']`). */
  readonly auxNames: readonly string[];
  /** The spec string (`circle:0.05`, `orthogonal`), as `parseConstraintSpec` reads it. */
  spec(): string;
  /** Checks that this constraint can act on a weight of this shape (throws ReglabError). */
  checkShape(shape: readonly number[], name: string): void;
  /** Moves θ onto the manifold and builds its auxiliaries: returns `[θ, ...aux]`. */
  initialise(theta: tf.Tensor): tf.Tensor[];
  /** max |g(q)| (relative where the constraint has a radius), as a scalar tensor. */
  residual(q: tf.Tensor[]): tf.Scalar;
  /** Tangent projection Π_q(v) of an ambient vector `v` (same arity as `q`). */
  tangent(q: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[];
  /**
   * Ambient velocity of the stored velocity coordinates (identity except for the circle,
   * which stores the angular velocity ω: (v_w, v_ξ) = ω·(ξ, −w)).
   */
  ambientVelocity(q: tf.Tensor[], vel: tf.Tensor): tf.Tensor[];
  /** Underdamped B: vel ← vel − h·Π_q(∇L). */
  kick(q: tf.Tensor[], vel: tf.Tensor, grad: tf.Tensor, h: number): tf.Tensor;
  /** Underdamped A O A (drift h/2, thermostat, drift h/2) with position + momentum projection. */
  driftThermostat(
    q: tf.Tensor[],
    vel: tf.Tensor,
    p: StepParams,
  ): { q: tf.Tensor[]; vel: tf.Tensor };
  /** Overdamped step: q̃ = q − h∇L + σR, then the position projection. */
  overdamped(q: tf.Tensor[], grad: tf.Tensor, p: StepParams): tf.Tensor[];
}

/**
 * Shared SHAKE/RATTLE machinery for constraints without auxiliaries (sphere, orthogonal):
 * subclasses give `tangent`, `project` (position projection along ∇g at the old point) and
 * `initialise`; the integrator pieces follow.
 */
export abstract class ShakeConstraint implements Constraint {
  abstract readonly kind: ConstraintKind;
  readonly auxNames: readonly string[] = [];
  abstract spec(): string;
  /** Both constraints act on kernels (one neuron per column), never on biases. */
  checkShape(shape: readonly number[], name: string): void {
    check(
      shape.length >= 2,
      `${this.kind} constraint on ${name} of shape [${shape}]: needs a kernel (rank ≥ 2)`,
      'constrain kernels only (biases stay "none")',
    );
  }
  abstract initialise(theta: tf.Tensor): tf.Tensor[];
  abstract residual(q: tf.Tensor[]): tf.Scalar;
  abstract tangent(q: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[];
  /** SHAKE: the point q̃ + ∇g(q_old)λ with g = 0 (to `tol`, at most `maxIter` iterations). */
  abstract project(qOld: tf.Tensor, qTilde: tf.Tensor, tol: number, maxIter: number): tf.Tensor;

  ambientVelocity(_q: tf.Tensor[], vel: tf.Tensor): tf.Tensor[] {
    return [vel];
  }

  /**
   * B: v ← v − h·∇L, *not* projected: the result only feeds the A step's SHAKE from θ, which
   * absorbs the normal component of ∇L (see driftThermostat), so Π_θ(∇L) would change nothing
   * but cost two matmuls. (SHAKE then starts first-order off the manifold: ~1.8 instead of
   * ~1.4 corrections per projection, still cheaper overall.)
   */
  kick(_q: tf.Tensor[], vel: tf.Tensor, grad: tf.Tensor, h: number): tf.Tensor {
    return tf.sub(vel, tf.mul(h, grad));
  }

  /**
   * A O A with SHAKE + RATTLE:
   *   A  θ₁ = SHAKE(θ, θ + (h/2)v),          u₁ = (θ₁ − θ)/(h/2)
   *   O  u₁' = c·u₁ + d·R
   *   A  θ₂ = SHAKE(θ₁, θ₁ + (h/2)u₁'),      v' = Π_θ₂((θ₂ − θ₁)/(h/2))   (RATTLE)
   * The textbook scheme also projects the kicked velocity (Π_θ∇L in B), u₁ (RATTLE at θ₁) and
   * R (Π_θ₁(R)) onto the tangent space. Each projection removes a component along ∇g at the
   * point the next SHAKE starts from — for the Stiefel manifold θ·S with S symmetric, for the
   * sphere a multiple of each column — and that SHAKE adds exactly such a component, solved
   * for so that g = 0: it absorbs them, and θ₁, θ₂ and v' come out the same (to the SHAKE
   * tolerance; tested against the projected scheme). Leaving them out saves four of the
   * orthogonal step's ~13 matmuls at τ = 0, six at τ > 0. The stored velocity is RATTLE's,
   * tangent at θ₂.
   */
  driftThermostat(
    q: tf.Tensor[],
    vel: tf.Tensor,
    p: StepParams,
  ): { q: tf.Tensor[]; vel: tf.Tensor } {
    const half = p.h / 2;
    const theta = q[0];
    const theta1 = this.project(
      theta,
      tf.add(theta, tf.mul(half, vel)),
      p.shakeTol,
      p.shakeMaxIter,
    );
    // (h/2)·u₁' = c·(θ₁ − θ) + (h/2)·d·R
    let step = tf.mul(p.c, tf.sub(theta1, theta));
    if (p.noise > 0) step = tf.add(step, tf.mul(half * p.noise, p.rng.normalTensor(theta.shape)));
    const theta2 = this.project(theta1, tf.add(theta1, step), p.shakeTol, p.shakeMaxIter);
    const v = this.tangent([theta2], [tf.div(tf.sub(theta2, theta1), half)])[0];
    return { q: [theta2], vel: v };
  }

  /** θ̃ = θ − h∇L + σR;  θ' = SHAKE(θ, θ̃). */
  overdamped(q: tf.Tensor[], grad: tf.Tensor, p: StepParams): tf.Tensor[] {
    let tilde = tf.sub(q[0], tf.mul(p.h, grad));
    if (p.noise > 0) tilde = tf.add(tilde, tf.mul(p.noise, p.rng.normalTensor(q[0].shape)));
    return [this.project(q[0], tilde, p.shakeTol, p.shakeMaxIter)];
  }
}

/**
 * The closed-form Lagrange multiplier of a (hyper)sphere of radius r, shared by the circle
 * (the pair (w, ξ)) and the sphere (a column): with q on the sphere and q̃ the free step,
 * q' = q̃ + λq with |q'|² = r² gives r²λ² + 2bλ + (|q̃|² − r²) = 0, b = q̃·q, so
 *   λ = (−b + √(b² − r²(|q̃|² − r²))) / r²   (paper eq. for the circle constraint).
 * `dot` sums the products over the sphere's coordinates. A negative discriminant (a step
 * longer than the radius) is clamped; the caller then renormalises radially.
 */
export function sphereMultiplier(b: tf.Tensor, normTildeSq: tf.Tensor, r: number): tf.Tensor {
  const r2 = r * r;
  const disc = tf.relu(tf.sub(tf.square(b), tf.mul(r2, tf.sub(normTildeSq, r2))));
  return tf.div(tf.add(tf.neg(b), tf.sqrt(disc)), r2);
}
