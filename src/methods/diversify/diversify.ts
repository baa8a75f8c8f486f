/**
 * Discriminative diversifying regularization (DR), after Kertesz-Farkas et al., "Guided
 * Layer-wise Learning for Deep Models using Side Information" (arXiv 1911.02048). The paper's
 * formulas are not public as text; this is the reconstruction specified in reglab issue 6.
 *
 * For each chosen layer l with features h_l (the layer output, flattened per sample) and the
 * minibatch pairs P = {(i, j) : i < j, y_i ≠ y_j}:
 *
 *   DR_l  = (1/|P|) Σ_{(i,j)∈P} s(h_l(x_i), h_l(x_j))        (0 when P is empty)
 *   DR    = Σ_l w_l · DR_l                                   (w_l = layerWeights, default 1)
 *   total = task loss + λ · DR                               (λ = the term weight)
 *
 * s is a similarity (see similarity.ts), so minimising DR pushes hidden features of different
 * classes apart. The pairs are a mask (one-hot y·yᵀ), optionally capped at `maxPairs`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check } from '../../core/errors.js';
import type { RegularizationTerm, TermContext } from '../../train/term.js';
import { resolveSites, type Site } from '../../models/anatomy.js';
import { siteTensor } from '../../train/trace.js';
import { differentClassMask, maskedPairMean } from './pairs.js';
import {
  cosinePairs,
  maskedCosineMean,
  pairwiseSimilarity,
  type CosinePairs,
  SIMILARITIES,
  type SimilarityKind,
} from './similarity.js';

/** Options of {@link diversify}. */
export interface DiversifyOptions {
  /** λ, the weight of the term in the total loss. */
  lambda: number;
  /** s(h_i, h_j) (default `cosine`). */
  similarity?: SimilarityKind;
  /** Layers whose outputs are diversified (default: every hidden feature layer, see {@link featureLayerNames}). */
  layers?: readonly string[];
  /** w_l per layer, same order as `layers` (default all 1). */
  layerWeights?: readonly number[];
  /** RBF bandwidth τ (default: the layer width). */
  tau?: number;
  /** Margin m of the contrastive hinge (default 1). */
  margin?: number;
  /** Cap on the pairs per batch, drawn with the run's `Random` (default: all pairs). */
  maxPairs?: number;
  /** Name in logs (default `dr`); give two DR terms different names. */
  name?: string;
}

/**
 * The hidden feature sites DR diversifies by default: the model's hidden sites after their
 * non-linearity (models/anatomy.ts — every hidden block, or every residual unit), by name.
 */
export function featureLayerNames(model: tfl.LayersModel): string[] {
  return resolveSites(model, undefined, 'post').map((site) => site.name);
}

/** A layer output as `[n, features]`. */
export function flattenFeatures(output: tf.Tensor): tf.Tensor2D {
  return tf.reshape(output, [output.shape[0], -1]) as tf.Tensor2D;
}

/** The discriminative DR term (see the file comment). */
export class DiversifyTerm implements RegularizationTerm {
  readonly name: string;
  readonly weight: number;
  readonly similarity: SimilarityKind;
  private readonly layers?: readonly string[];
  private layerWeights?: readonly number[];
  private sites?: { model: tfl.LayersModel; sites: readonly Site[] };

  constructor(readonly options: DiversifyOptions) {
    this.name = options.name ?? 'dr';
    this.weight = options.lambda;
    this.similarity = options.similarity ?? 'cosine';
    check(
      (SIMILARITIES as readonly string[]).includes(this.similarity),
      `unknown DR similarity "${this.similarity}"`,
      `use one of ${SIMILARITIES.join(', ')}`,
    );
    this.layers = options.layers;
    this.layerWeights = options.layerWeights;
  }

  prepare(model: tfl.LayersModel): void {
    const sites = this.sitesOf(model);
    this.layerWeights ??= sites.map(() => 1);
    check(
      this.layerWeights.length === sites.length,
      `DR has ${this.layerWeights.length} layer weights for ${sites.length} layers`,
      'give one weight per layer, in the same order',
    );
  }

  /** The sites DR reads in `model` (the default feature sites, or the named layers). */
  sitesOf(model: tfl.LayersModel): readonly Site[] {
    if (this.sites?.model !== model)
      this.sites = { model, sites: resolveSites(model, this.layers, 'post') };
    return this.sites.sites;
  }

  /**
   * DR_l of one feature matrix with its pair mask (cosine: its gradient written out; `pairs`,
   * the mask's {@link cosinePairs}, shared between layers when given).
   */
  layerValue(features: tf.Tensor2D, mask: tf.Tensor2D, pairs?: CosinePairs): tf.Scalar {
    if (this.similarity === 'cosine') return maskedCosineMean(features, pairs ?? mask);
    return tf.tidy(() => {
      const similarity = pairwiseSimilarity(features, this.similarity, {
        tau: this.options.tau,
        margin: this.options.margin,
      });
      return maskedPairMean(similarity, mask);
    });
  }

  compute({ trace, batch, rng, model }: TermContext): tf.Scalar {
    const sites = this.sitesOf(model);
    return tf.tidy(() => {
      const mask = differentClassMask(batch.y, this.options.maxPairs, rng);
      const pairs = this.similarity === 'cosine' ? cosinePairs(mask) : undefined;
      const values = sites.map((site, l) => {
        const value = this.layerValue(flattenFeatures(siteTensor(trace, site)), mask, pairs);
        const weight = this.layerWeights?.[l] ?? 1;
        return weight === 1 ? value : tf.mul(value, weight); // × 1 is exact: one kernel less
      });
      return tf.addN(values) as tf.Scalar;
    });
  }
}

/** Creates a discriminative DR term (name `dr`). */
export function diversify(options: DiversifyOptions): DiversifyTerm {
  return new DiversifyTerm(options);
}
