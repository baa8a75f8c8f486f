/**
 * PER as a regularization term: λ Σ_layers L_per(h_layer), with fresh seeded directions for
 * every layer at every step (Joo, Kang & Kim 2020, Sec. 3; s = 256 in the paper).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../../core/errors.js';
import type { TermContext } from '../../train/term.js';
import type { SiteActivations } from '../../train/sites.js';
import { ActivationTerm, type ActivationTermOptions } from './activation-term.js';
import { projectedErrorLoss } from './projected-error.js';

/** Options of {@link per}. */
export interface PerOptions extends ActivationTermOptions {
  /** Random directions per layer and step (default 256, the paper's value). */
  slices?: number;
}

/**
 * Projected error function regularization: per layer
 * L_per = (1/b) Σ_i (1/s) Σ_k f(⟨θ_k, h_i⟩), θ_k = v_k/‖v_k‖, v_k ~ N(0, I) (see projected-error.ts).
 */
export class PerTerm extends ActivationTerm {
  readonly slices: number;

  constructor(options: PerOptions) {
    super('per', options);
    this.slices = options.slices ?? 256;
    if (!Number.isInteger(this.slices) || this.slices < 1) {
      throw new ReglabError(
        `per: slices=${this.slices} is not a positive integer`,
        'use e.g. slices=256',
      );
    }
  }

  protected siteLoss({ samples }: SiteActivations, { rng }: TermContext): tf.Scalar {
    return projectedErrorLoss(samples, rng.unitDirections(samples.shape[1], this.slices));
  }
}

/**
 * `per({lambda: 1e-4})`: PER on every hidden layer's output (see train/sites.ts for
 * `layers`, `placement: 'post' | 'pre'` and `conv: 'flatten' | 'channels'`).
 */
export function per(options: PerOptions): PerTerm {
  return new PerTerm(options);
}
