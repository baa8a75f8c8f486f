/**
 * `circle(r)`: every scalar weight w gets its own auxiliary ξ (same shape) with
 *   g(w, ξ) = w² + ξ² − r² = 0,   so |w| ≤ r
 * (arXiv 2006.10114 §3.1, "circle constraints"). Only w enters the loss; ξ feels no gradient
 * but does get noise, so (w, ξ) moves on a circle of radius r.
 *
 * Parametrise w = r sin φ, ξ = r cos φ. A tangent velocity is (v_w, v_ξ) = ω·(ξ, −w) with the
 * angular velocity ω = (ξ v_w − w v_ξ)/r², which is what we store (the "momentum" of the pair;
 * `ambientVelocity` gives (v_w, v_ξ)). With it the underdamped method is exactly BAOAB on φ:
 *
 *   B  ω ← ω − h·g·ξ/r²                 (Π_(w,ξ)(g, 0) = (gξ/r²)·(ξ, −w), g = ∂L/∂w)
 *   A  rotate (w, ξ) by the angle (h/2)·ω        (the exact geodesic flow; ω is unchanged)
 *   O  ω ← c·ω + (d/r)·R                   (Π of a 2-D normal R is (R·t)t, t = (ξ, −w)/r)
 *   A  rotate by (h/2)·ω
 *
 * Since A leaves ω unchanged, A O A is one rotation by α = (h/2)(ω + ω') (at τ = 0,
 * α = (h/2)(1 + c)·ω). This replaces SHAKE + RATTLE on the circle (their exact limit); the
 * rotation updates w and ξ from the *old* pair (the official code's ξ update reads the
 * already-rotated w, which is not a rotation).
 *
 * Cost. tf.sin/tf.cos are ~30–80 ms per 785k floats on wasm (~40× an add), so cos α and sin α
 * are evaluated as polynomials in cheap ops: Taylor to α⁶ / α⁷ on α' = α/2^k, exact to
 * float32 for |α'| ≤ ½, then k double-angle steps (C, S) ← (C² − S², 2CS) where max|α| > ½
 * (k from one scalar read of max|α|; k = 0 in practice: h·ω ≪ 1). About 30 cheap elementwise
 * ops per weight, and no transcendental (storing the angle φ instead, w = r sin φ, needs a
 * sin and a cos of φ per step: slower here). Float32 rounding moves the pair off the circle
 * by ~1e-7 per rotation, so it is renormalised to radius r every 8th step (which keeps the
 * relative residual ≲ 1.5e-6 and |w| ≤ r(1 + 3e-7); measured drift without it: 6e-6 after 1,000
 * steps at τ = 0, 2e-5 after 2,000 at τ = 1e-3). A weight set from outside the optimizer
 * (setWeights mid-run) is pulled back onto the circle at the next renormalisation.
 *
 * Overdamped: w̃ = w − h·g + σR₁, ξ̃ = ξ + σR₂, b = w̃w + ξ̃ξ,
 *   λ = (−b + √(b² − r²(w̃² + ξ̃² − r²)))/r²,  (w, ξ) ← (w̃, ξ̃) + λ(w, ξ)   (paper eq. 9).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { sphereMultiplier, type Constraint, type StepParams } from './constraint.js';

/** Steps between two radial renormalisations of the rotated (w, ξ) pairs. */
export const RENORMALISE_EVERY = 8;

export class CircleConstraint implements Constraint {
  readonly kind = 'circle' as const;
  readonly auxNames: readonly string[] = ['xi'];

  constructor(readonly r: number) {
    check(
      Number.isFinite(r) && r > 0,
      `circle radius ${r} is not a positive number`,
      'use e.g. circle(0.05)',
    );
  }

  spec(): string {
    return `circle:${this.r}`;
  }

  checkShape(): void {}

  /**
   * Scales w into (−r, r) when needed (Glorot limits can exceed r: 784→1000 has 0.058 > 0.05),
   * then ξ = √(r² − w²) ≥ 0.
   */
  initialise(theta: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      const maxAbs = tf.max(tf.abs(theta)).dataSync()[0];
      const limit = this.r * (1 - 1e-3);
      const w = maxAbs > limit ? tf.mul(theta, limit / maxAbs) : tf.clone(theta);
      const xi = tf.sqrt(tf.relu(tf.sub(this.r * this.r, tf.square(w))));
      return [w, xi];
    });
  }

  /** max |w² + ξ² − r²| / r². */
  residual(q: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => {
      const r2 = this.r * this.r;
      return tf.div(
        tf.max(tf.abs(tf.sub(tf.add(tf.square(q[0]), tf.square(q[1])), r2))),
        r2,
      ) as tf.Scalar;
    });
  }

  /** Π_(w,ξ)(v_w, v_ξ) = (v_w, v_ξ) − s·(w, ξ),  s = (w v_w + ξ v_ξ)/r². */
  tangent(q: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[] {
    const [w, xi] = q;
    const vXi = v[1] ?? tf.zerosLike(v[0]);
    const s = tf.div(tf.add(tf.mul(w, v[0]), tf.mul(xi, vXi)), this.r * this.r);
    return [tf.sub(v[0], tf.mul(s, w)), tf.sub(vXi, tf.mul(s, xi))];
  }

  /** (v_w, v_ξ) = ω·(ξ, −w). */
  ambientVelocity(q: tf.Tensor[], omega: tf.Tensor): tf.Tensor[] {
    return [tf.mul(omega, q[1]), tf.neg(tf.mul(omega, q[0]))];
  }

  /** B: ω ← ω − h·g·ξ/r². */
  kick(q: tf.Tensor[], omega: tf.Tensor, grad: tf.Tensor, h: number): tf.Tensor {
    return tf.sub(omega, tf.mul(tf.mul(grad, q[1]), h / (this.r * this.r)));
  }

  /** A O A: ω' = c·ω + (d/r)·R;  rotate (w, ξ) by α = (h/2)(ω + ω')  (τ = 0: α = (h/2)(1 + c)·ω). */
  driftThermostat(
    q: tf.Tensor[],
    omega: tf.Tensor,
    p: StepParams,
  ): { q: tf.Tensor[]; vel: tf.Tensor } {
    let omegaNew = tf.mul(omega, p.c);
    let alpha: tf.Tensor;
    if (p.noise > 0) {
      omegaNew = tf.add(omegaNew, tf.mul(p.rng.normalTensor(omega.shape), p.noise / this.r));
      alpha = tf.mul(tf.add(omega, omegaNew), p.h / 2);
    } else {
      alpha = tf.mul(omega, (p.h / 2) * (1 + p.c));
    }
    return { q: this.rotate(q, alpha, p), vel: omegaNew };
  }

  /**
   * (w, ξ) ← (w cos α + ξ sin α, ξ cos α − w sin α), rescaled to radius r every
   * {@link RENORMALISE_EVERY} steps.
   */
  rotate(q: tf.Tensor[], alpha: tf.Tensor, p: StepParams): tf.Tensor[] {
    const [w, xi] = q;
    const [cos, sin] = cosSin(alpha);
    const wNew = tf.add(tf.mul(w, cos), tf.mul(xi, sin));
    const xiNew = tf.sub(tf.mul(xi, cos), tf.mul(w, sin));
    return p.step % RENORMALISE_EVERY === 0 ? this.renormalise(wNew, xiNew) : [wNew, xiNew];
  }

  /** w̃ = w − h·g + σR₁, ξ̃ = ξ + σR₂;  (w, ξ) ← (w̃, ξ̃) + λ(w, ξ);  renormalise. */
  overdamped(q: tf.Tensor[], grad: tf.Tensor, p: StepParams): tf.Tensor[] {
    const [w, xi] = q;
    let wTilde = tf.sub(w, tf.mul(p.h, grad));
    let xiTilde = xi;
    if (p.noise > 0) {
      wTilde = tf.add(wTilde, tf.mul(p.noise, p.rng.normalTensor(w.shape)));
      xiTilde = tf.add(xiTilde, tf.mul(p.noise, p.rng.normalTensor(w.shape)));
    }
    const b = tf.add(tf.mul(wTilde, w), tf.mul(xiTilde, xi));
    const lambda = sphereMultiplier(b, tf.add(tf.square(wTilde), tf.square(xiTilde)), this.r);
    return this.renormalise(tf.add(wTilde, tf.mul(lambda, w)), tf.add(xiTilde, tf.mul(lambda, xi)));
  }

  /** (w, ξ) ← r·(w, ξ)/|(w, ξ)| (after a clamped multiplier the pair can be well off the circle). */
  private renormalise(w: tf.Tensor, xi: tf.Tensor): tf.Tensor[] {
    const scale = tf.mul(this.r, tf.rsqrt(tf.add(tf.square(w), tf.square(xi))));
    return [tf.mul(w, scale), tf.mul(xi, scale)];
  }
}

/**
 * (cos α, sin α) elementwise without tf.cos/tf.sin (slow on wasm): Taylor polynomials in
 * u = α'² for α' = α/2^k, with k the fewest halvings that bring max|α'| to ≤ ½ (truncation
 * α'⁸/8! ≤ 1e-7 and α'⁹/9! ≤ 6e-9: float32-exact), then k double-angle steps.
 */
export function cosSin(alpha: tf.Tensor): [tf.Tensor, tf.Tensor] {
  let a = alpha;
  let u = tf.square(a);
  // max α² from the u we need anyway (one reduction, no |α| pass).
  const maxAbs = Math.sqrt(tf.tidy(() => tf.max(u).dataSync()[0]));
  const halvings = maxAbs > 0.5 ? Math.ceil(Math.log2(maxAbs / 0.5)) : 0;
  check(
    halvings <= 64,
    `circle rotation angle ${maxAbs} is not finite`,
    'the step diverged: lower h or the learning rate',
  );
  if (halvings > 0) {
    a = tf.mul(alpha, 2 ** -halvings);
    u = tf.square(a);
  }
  // cos = 1 − u/2 + u²/24 − u³/720,  sin = α(1 − u/6 + u²/120 − u³/5040)   (Horner)
  let cos = tf.add(tf.mul(tf.add(tf.mul(tf.add(tf.mul(u, -1 / 720), 1 / 24), u), -1 / 2), u), 1);
  let sin = tf.mul(
    tf.add(tf.mul(tf.add(tf.mul(tf.add(tf.mul(u, -1 / 5040), 1 / 120), u), -1 / 6), u), 1),
    a,
  );
  for (let i = 0; i < halvings; i++)
    [cos, sin] = [tf.sub(tf.square(cos), tf.square(sin)), tf.mul(tf.mul(cos, sin), 2)];
  return [cos, sin];
}

/** Box constraint |w| ≤ r through w² + ξ² = r² (per scalar weight). */
export function circle(r: number): CircleConstraint {
  return new CircleConstraint(r);
}
