/**
 * The activation penalties PER is compared against in their experiments (Joo, Kang & Kim 2020):
 *
 * - L1 / L2 activation penalties: (1/b) Σ_i Σ_j |h_ij|^p, p = 1 or 2.
 * - DeCov (Cogswell et al., "Reducing overfitting in deep networks by decorrelating
 *   representations", ICLR 2016): C_ij = (1/N) Σ_n (h_i^n − μ_i)(h_j^n − μ_j),
 *   L_decov = ½ (‖C‖²_F − ‖diag(C)‖²₂).
 * - VCL (Littwin & Wolf, "Regularizing by the variance of the activations' sample-variances",
 *   NeurIPS 2018), as PER's paper uses it as a baseline: two disjoint groups A, B of n samples
 *   (n = 5 in the paper), per unit sample variances s²_A, s²_B,
 *   L_vcl = mean_units (1 − s²_A / (s²_B + β))², β a learnable per-unit parameter initialised to 1.
 *
 * All sum over the chosen layers (default: the hidden layers, see train/sites.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import type { TermContext } from '../../train/term.js';
import { siteUnits, type SiteActivations } from '../../train/sites.js';
import { ActivationTerm, type ActivationTermOptions } from './activation-term.js';

/** (1/b) Σ |h|^p over the sites: p = 1 (`l1act`) or p = 2 (`l2act`). */
export class ActivationNormPenalty extends ActivationTerm {
  constructor(
    readonly power: 1 | 2,
    options: ActivationTermOptions,
  ) {
    super(power === 1 ? 'l1act' : 'l2act', options);
  }

  protected siteLoss({ samples, batchSize }: SiteActivations): tf.Scalar {
    const magnitude = this.power === 1 ? tf.abs(samples) : tf.square(samples);
    return tf.div(tf.sum(magnitude), batchSize) as tf.Scalar;
  }
}

/** `l1Activation({lambda})`: λ (1/b) Σ_layers Σ_ij |h_ij|. */
export function l1Activation(options: ActivationTermOptions): ActivationNormPenalty {
  return new ActivationNormPenalty(1, options);
}

/** `l2Activation({lambda})`: λ (1/b) Σ_layers Σ_ij h_ij². */
export function l2Activation(options: ActivationTermOptions): ActivationNormPenalty {
  return new ActivationNormPenalty(2, options);
}

/**
 * DeCov of a `[N, d]` activation matrix: ½(‖C‖²_F − ‖diag C‖²), C the biased (1/N) covariance.
 * ‖XᵀX‖_F = ‖XXᵀ‖_F, so the Gram matrix of the smaller side is formed: N×N when N < d
 * (a wide conv map stays cheap), d×d otherwise.
 */
export function decovPenalty(activations: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [rows, units] = activations.shape;
    const centred = tf.sub(activations, tf.mean(activations, 0, true));
    const gram =
      rows < units
        ? tf.matMul(centred, centred, false, true)
        : tf.matMul(centred, centred, true, false);
    const frobenius = tf.div(tf.sum(tf.square(gram)), rows * rows);
    const diagonal = tf.div(tf.sum(tf.square(centred), 0), rows);
    return tf.mul(0.5, tf.sub(frobenius, tf.sum(tf.square(diagonal)))) as tf.Scalar;
  });
}

/** DeCov as a term (conv maps default to `channels`: the paper decorrelates features). */
export class DecovTerm extends ActivationTerm {
  constructor(options: ActivationTermOptions) {
    super('decov', options, { conv: 'channels' });
  }

  protected siteLoss({ samples }: SiteActivations): tf.Scalar {
    return decovPenalty(samples);
  }
}

/** `decov({lambda})`: λ Σ_layers ½(‖C‖²_F − ‖diag C‖²). */
export function decov(options: ActivationTermOptions): DecovTerm {
  return new DecovTerm(options);
}

/** Options of {@link vcl}. */
export interface VclOptions extends ActivationTermOptions {
  /** Samples per group (default 5, the paper's value); the batch needs 2 × groupSize. */
  groupSize?: number;
}

/**
 * Variance constancy loss. Groups A and B are the first and second `groupSize` samples of the
 * (already shuffled) batch, which keeps the term a slice — no gather, so no extra randomness.
 * Variances are the biased (1/n) sample variances. Placement
 * defaults to `pre` ("before each activation"); in `channels` mode a unit is a channel and
 * a group holds groupSize·H·W values per channel.
 */
export class VclTerm extends ActivationTerm {
  readonly groupSize: number;
  private betas: tf.Variable[] = [];
  private betasFor?: tfl.LayersModel;

  constructor(options: VclOptions) {
    super('vcl', options, { placement: 'pre' });
    this.groupSize = options.groupSize ?? 5;
    if (!Number.isInteger(this.groupSize) || this.groupSize < 2) {
      throw new ReglabError(
        `vcl: groupSize=${this.groupSize} must be an integer ≥ 2`,
        'use the paper value 5',
      );
    }
  }

  /** The per-unit β of every site (trained with the model). */
  get variables(): readonly tf.Variable[] {
    return this.betas;
  }

  /** Resolves the sites and creates one β = 1 per unit and site. */
  override prepare(model: tfl.LayersModel): void {
    const sites = this.selector.prepare(model);
    if (this.betasFor === model) return;
    tf.dispose(this.betas);
    this.betas = sites.map((site) =>
      tf.variable(tf.ones([siteUnits(site, this.selector.conv)]), true),
    );
    this.betasFor = model;
  }

  override compute(context: TermContext): tf.Scalar {
    this.prepare(context.model);
    return super.compute(context);
  }

  protected siteLoss(
    { samples, batchSize }: SiteActivations,
    _context: TermContext,
    index: number,
  ): tf.Scalar {
    if (batchSize < 2 * this.groupSize) {
      throw new ReglabError(
        `vcl needs batches of at least ${2 * this.groupSize} samples, got ${batchSize}`,
        'raise the batch size or lower groupSize',
      );
    }
    const beta = this.betas[index];
    const rowsPerGroup = (samples.shape[0] / batchSize) * this.groupSize;
    const variance = (start: number) =>
      tf.moments(tf.slice(samples, [start, 0], [rowsPerGroup, -1]), 0).variance;
    const ratio = tf.div(variance(0), tf.add(variance(rowsPerGroup), beta));
    return tf.mean(tf.square(tf.sub(1, ratio))) as tf.Scalar;
  }

  /** Frees the β variables. */
  dispose(): void {
    tf.dispose(this.betas);
    this.betas = [];
    this.betasFor = undefined;
  }
}

/** `vcl({lambda: 0.01})`: the variance constancy loss (paper weight 0.01). */
export function vcl(options: VclOptions): VclTerm {
  return new VclTerm(options);
}
