/**
 * Constrained underdamped Langevin dynamics, BAOAB with SHAKE/RATTLE ("CoLA-ud" — arXiv
 * 2006.10114 §2.2 and Algorithm 2; Leimkuhler & Matthews, "Molecular Dynamics", §7.4):
 *
 *   dθ = v dt,   dv = −Π_θ∇L(θ) dt − γv dt + √(2γτ) Π_θ dW,   θ ∈ Σ = {g(θ) = 0},
 *
 * with step h, friction γ, temperature τ, c = e^{−γh}, d = √(τ(1 − c²)). One BAOAB step is
 *
 *   B  v ← v − (h/2)·Π_θ∇L(θ)
 *   A  θ ← SHAKE(θ, θ + (h/2)v),  v ← Π_θ((θ_new − θ_old)/(h/2))        (RATTLE)
 *   O  v ← c·v + d·Π_θ(R),  R ~ N(0, I)
 *   A  as above
 *   B  v ← v − (h/2)·Π_θ∇L(θ)
 *
 * Each call gets one gradient, at the current θ, so the closing B of step n and the opening B
 * of step n+1 are applied together at the start of step n+1 (the stored velocity is the one
 * before the closing kick; it starts at 0). `applyGradients` therefore does, per variable:
 *
 *   v ← v − h·Π_θ∇L(θ)          constraint.kick
 *   A O A                       constraint.driftThermostat
 *
 * Each constraint implements A O A for its manifold: `none` is a free drift, sphere and
 * orthogonal use SHAKE + RATTLE (constraint.ts; the projections of the kick, of the mid-step
 * velocity and of the noise are left out there because the following SHAKE absorbs them — same
 * result, fewer matmuls), the circle uses the exact geodesic rotation of (w, ξ) (circle.ts). Variables without a constraint follow the same integrator, i.e. plain
 * underdamped Langevin.
 *
 * Relation to SGD with momentum (τ = 0, no constraint). Eliminating v gives
 *   θ_{n+1} − θ_n = c·(θ_n − θ_{n−1}) − h²(1 + c)/2 · ∇L(θ_n),
 * which is `tf.train.momentum(lr, μ)` (a ← μa + ∇L, θ ← θ − lr·a) exactly, step for step, with
 *   lr = h²(1 + c)/2,  μ = c        (lr ≈ h² for c → 1; inverse: h = √(2lr/(1 + μ)), γ = −ln μ / h).
 * The compatibility options `{lr, momentum}` set h and c this way. The official orthogonal
 * optimizer's "h" is such an SGD learning rate (its step is v ← cv − ∇L, θ ← θ + h·v).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { StepParams } from './constraint.js';
import { LangevinOptimizer, type LangevinCommonOptions, type Slot } from './base.js';

export interface UnderdampedOptions extends LangevinCommonOptions {
  /** Langevin step h (> 0). */
  h?: number;
  /** Friction γ ≥ 0 (default 1) … */
  gamma?: number;
  /** … or directly c = e^{−γh} ∈ [0, 1]. */
  c?: number;
  /** Compatibility mode: SGD-with-momentum learning rate (sets h = √(2lr/(1+μ))). */
  lr?: number;
  /** Compatibility mode: momentum μ = c (default 0.9). */
  momentum?: number;
}

/** {h, c} of an SGD-with-momentum setting (exact for τ = 0, no constraints). */
export function momentumToLangevin(
  lr: number,
  momentum: number,
): { h: number; c: number; gamma: number } {
  check(lr > 0, `learning rate ${lr} must be > 0`, 'e.g. lr=0.1');
  check(
    momentum >= 0 && momentum <= 1,
    `momentum ${momentum} must be in [0, 1]`,
    'e.g. momentum=0.9',
  );
  const h = Math.sqrt((2 * lr) / (1 + momentum));
  return { h, c: momentum, gamma: -Math.log(momentum) / h };
}

/** {lr, momentum} that `tf.train.momentum` needs to match underdamped (h, c) at τ = 0. */
export function langevinToMomentum(h: number, c: number): { lr: number; momentum: number } {
  return { lr: (h * h * (1 + c)) / 2, momentum: c };
}

export class UnderdampedLangevin extends LangevinOptimizer {
  static get className(): string {
    return 'reglab.UnderdampedLangevin';
  }

  readonly h: number;
  readonly c: number;
  readonly gamma: number;
  /** O-step noise scale d = √(τ(1 − c²)). */
  readonly d: number;
  protected readonly usesVelocity = true;

  constructor(options: UnderdampedOptions) {
    super(options);
    if (options.lr !== undefined) {
      check(
        options.h === undefined && options.gamma === undefined && options.c === undefined,
        'give either {lr, momentum} or {h, gamma | c}, not both',
        'pick one convention (see docs/langevin.md)',
      );
      const m = momentumToLangevin(options.lr, options.momentum ?? 0.9);
      this.h = m.h;
      this.c = m.c;
    } else {
      check(
        options.h !== undefined && Number.isFinite(options.h) && options.h > 0,
        `step h = ${options.h} must be a positive number`,
        'e.g. {h: 0.3, gamma: 1}, or use {lr, momentum}',
      );
      check(
        options.momentum === undefined,
        'momentum is only used together with lr',
        'give {lr, momentum} or {h, gamma | c}',
      );
      check(
        options.gamma === undefined || options.c === undefined,
        'give gamma or c, not both',
        'c = exp(−gamma·h)',
      );
      this.h = options.h;
      this.c = options.c ?? Math.exp(-(options.gamma ?? 1) * options.h);
    }
    check(
      this.c >= 0 && this.c <= 1,
      `friction factor c = ${this.c} must be in [0, 1]`,
      'use gamma ≥ 0 (c = exp(−gamma·h))',
    );
    this.gamma = -Math.log(this.c) / this.h;
    this.d = Math.sqrt(this.tau * (1 - this.c * this.c));
  }

  protected stepParams(): StepParams {
    return {
      h: this.h,
      c: this.c,
      noise: this.d,
      step: this.iterations,
      rng: this.rng,
      shakeTol: this.shakeTol,
      shakeMaxIter: this.shakeMaxIter,
    };
  }

  protected stepVariable(variable: tf.Variable, slot: Slot, grad: tf.Tensor): void {
    const k = slot.constraint;
    const vel = slot.vel as tf.Variable;
    const q = [variable, ...slot.aux];
    // B (closing half kick of the last step + opening half kick of this one): v ← v − h·Π_θ∇L
    const v = k.kick(q, vel, grad, this.h);
    // A O A: drift h/2 with SHAKE + RATTLE, v ← c·v + d·Π_θ(R), drift h/2
    const next = k.driftThermostat(q, v, this.stepParams());
    variable.assign(next.q[0]);
    slot.aux.forEach((a, j) => a.assign(next.q[j + 1]));
    vel.assign(next.vel);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { h: this.h, c: this.c, ...this.commonConfig() };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const options: UnderdampedOptions = {
      h: config.h as number,
      c: config.c as number,
      ...LangevinOptimizer.commonOptions(config),
    };
    return new cls(options);
  }
}
tf.serialization.registerClass(UnderdampedLangevin);

/** Constrained underdamped Langevin (BAOAB + RATTLE), see {@link UnderdampedLangevin}. */
export function underdampedLangevin(options: UnderdampedOptions): UnderdampedLangevin {
  return new UnderdampedLangevin(options);
}
