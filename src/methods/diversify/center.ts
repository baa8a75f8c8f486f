/**
 * Center loss (Wen, Zhang, Li, Qiao, "A Discriminative Feature Learning Approach for Deep Face
 * Recognition", ECCV 2016), a baseline beside DR: pull each sample's features towards a
 * learned center of its class.
 *
 *   L_C = 1/(2n) Σ_i ‖h_i − c_{y_i}‖²        (Wen et al. eq. 2, averaged over the batch)
 *
 * Choice: the centers c_k are trainable term `variables`, updated by the trainer's optimizer
 * with the gradient of λ·L_C, i.e. ∂/∂c_k = −(λ/n) Σ_{i: y_i = k} (h_i − c_k). Wen et al.
 * instead update c_k by a separate rule with its own rate α (their eq. 4:
 * c_k ← c_k − α Σ_{i: y_i = k}(c_k − h_i)/(1 + n_k), n_k = samples of class k in the batch).
 * With plain SGD the two coincide when α/(1 + n_k) = lr·λ/n; we keep one optimizer and one
 * mechanism, at the cost of tying the center rate to lr·λ. c_{y_i} is y·C (one-hot matmul), so no `gather`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check } from '../../core/errors.js';
import type { RegularizationTerm, TermContext } from '../../train/term.js';
import { resolveSites, type Site } from '../../models/anatomy.js';
import { siteTensor } from '../../train/trace.js';
import { flattenFeatures } from './diversify.js';

/** Options of {@link centerLoss}. */
export interface CenterLossOptions {
  /** λ, the weight of the term. */
  lambda: number;
  /** Number of classes (rows of the center matrix; default: the model's output width). */
  numClasses?: number;
  /** The feature layer (default: the last hidden feature layer, as in Wen et al.). */
  layer?: string;
}

/** The center-loss term (name `center`); see the file comment. */
export class CenterLossTerm implements RegularizationTerm {
  readonly name = 'center';
  readonly weight: number;
  private readonly layer?: string;
  private site?: Site;
  private centers?: tf.Variable;

  constructor(private readonly options: CenterLossOptions) {
    this.weight = options.lambda;
    this.layer = options.layer;
  }

  /** The `[classes, features]` centers, once {@link prepare} has sized them. */
  get variables(): readonly tf.Variable[] {
    return this.centers ? [this.centers] : [];
  }

  prepare(model: tfl.LayersModel): void {
    // the named layer's site, or the last hidden feature site (as in Wen et al.)
    this.site = resolveSites(model, this.layer ? [this.layer] : undefined, 'post').at(-1);
    check(
      this.site,
      `model ${model.name} has no hidden feature layer for the center loss`,
      'name one with layer: ...',
    );
    const width = this.site.sampleShape.reduce((a, b) => a * Math.max(b, 1), 1);
    const classes = this.options.numClasses ?? (model.outputs[0].shape.at(-1) as number);
    this.centers?.dispose();
    this.centers = tf.variable(tf.zeros([classes, width]), true);
  }

  compute({ trace, batch }: TermContext): tf.Scalar {
    check(
      this.centers && this.site,
      'the center loss was used before prepare(model)',
      'pass it to a Trainer, or call prepare(model) first',
    );
    const centers = this.centers;
    const site = this.site;
    return tf.tidy(() => {
      const features = flattenFeatures(siteTensor(trace, site));
      const ownCenters = tf.matMul(batch.y, centers);
      return tf.div(
        tf.sum(tf.square(tf.sub(features, ownCenters))),
        2 * features.shape[0],
      ) as tf.Scalar;
    });
  }

  /** Frees the centers. */
  dispose(): void {
    this.centers?.dispose();
    this.centers = undefined;
  }
}

/** Creates a center-loss term. */
export function centerLoss(options: CenterLossOptions): CenterLossTerm {
  return new CenterLossTerm(options);
}
