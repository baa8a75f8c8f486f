/**
 * Constrained overdamped Langevin dynamics, i.e. constrained SGLD ("CoLA-od" — arXiv
 * 2006.10114 §2.1, Algorithm 1):
 *
 *   dθ = −Π_θ∇L(θ) dt + √(2τ) Π_θ dW,   θ ∈ Σ = {g(θ) = 0},
 *
 * discretised with step h and temperature τ as
 *
 *   θ̃ = θ − h·∇L(θ) + √(2hτ)·R,   R ~ N(0, I)
 *   θ' = θ̃ + ∇g(θ)·λ   with λ such that g(θ') = 0        (Lagrange multiplier at the *old* θ)
 *
 * The circle solves for λ in closed form (ξ gets noise, no gradient), the sphere per column in
 * closed form, the orthogonal constraint by SHAKE iteration to a tolerance. Unconstrained
 * variables get plain SGLD; with τ = 0 that is SGD with learning rate h (`{lr}` is accepted as
 * an alias of h).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { StepParams } from './constraint.js';
import { LangevinOptimizer, type LangevinCommonOptions, type Slot } from './base.js';

export interface OverdampedOptions extends LangevinCommonOptions {
  /** Step h (> 0), the SGD learning rate. */
  h?: number;
  /** Alias of h. */
  lr?: number;
}

export class OverdampedLangevin extends LangevinOptimizer {
  static get className(): string {
    return 'reglab.OverdampedLangevin';
  }

  readonly h: number;
  /** Noise scale σ = √(2hτ). */
  readonly sigma: number;
  protected readonly usesVelocity = false;

  constructor(options: OverdampedOptions) {
    super(options);
    check(
      options.h === undefined || options.lr === undefined,
      'give h or lr, not both',
      'they are the same step size',
    );
    const h = options.h ?? options.lr;
    check(
      h !== undefined && Number.isFinite(h) && h > 0,
      `step h = ${h} must be a positive number`,
      'e.g. {h: 0.1, tau: 1e-4}',
    );
    this.h = h;
    this.sigma = Math.sqrt(2 * h * this.tau);
  }

  protected stepParams(): StepParams {
    return {
      h: this.h,
      c: 1,
      noise: this.sigma,
      step: this.iterations,
      rng: this.rng,
      shakeTol: this.shakeTol,
      shakeMaxIter: this.shakeMaxIter,
    };
  }

  protected stepVariable(variable: tf.Variable, slot: Slot, grad: tf.Tensor): void {
    // θ̃ = θ − h∇L + √(2hτ)R, then project along ∇g(θ_old) onto g = 0
    const next = slot.constraint.overdamped([variable, ...slot.aux], grad, this.stepParams());
    variable.assign(next[0]);
    slot.aux.forEach((a, j) => a.assign(next[j + 1]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { h: this.h, ...this.commonConfig() };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const options: OverdampedOptions = {
      h: config.h as number,
      ...LangevinOptimizer.commonOptions(config),
    };
    return new cls(options);
  }
}
tf.serialization.registerClass(OverdampedLangevin);

/** Constrained SGLD, see {@link OverdampedLangevin}. */
export function overdampedLangevin(options: OverdampedOptions): OverdampedLangevin {
  return new OverdampedLangevin(options);
}
