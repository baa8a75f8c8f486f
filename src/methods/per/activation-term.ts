/**
 * The shared shape of every activation-based regularization term (PER, L1/L2 activation
 * penalties, VCL, DeCov): choose sites (see train/sites.ts), compute one scalar per site,
 * and sum over sites — one λ for all layers, as in the PER paper.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import type { RegularizationTerm, TermContext } from '../../train/term.js';
import {
  ActivationSelector,
  type ActivationSelection,
  type ConvMode,
  type Placement,
  type SiteActivations,
} from '../../train/sites.js';

/** Options every activation-based term takes. */
export interface ActivationTermOptions extends ActivationSelection {
  /** The weight λ of the term in the total loss. */
  lambda: number;
  /** Name in logs and metrics (default: the method's short name); must be unique per run. */
  name?: string;
}

/** Base class: Σ over sites of {@link siteLoss}. Subclasses define one site's loss. */
export abstract class ActivationTerm implements RegularizationTerm {
  readonly name: string;
  readonly weight: number;
  /** Which activations the term reads. */
  readonly selector: ActivationSelector;

  protected constructor(
    defaultName: string,
    options: ActivationTermOptions,
    defaults: { placement?: Placement; conv?: ConvMode } = {},
  ) {
    if (!Number.isFinite(options.lambda)) {
      throw new ReglabError(
        `${defaultName}: lambda ${options.lambda} is not a finite number`,
        'pass e.g. {lambda: 1e-4}',
      );
    }
    this.name = options.name ?? defaultName;
    this.weight = options.lambda;
    this.selector = new ActivationSelector(options, defaults);
  }

  /** Resolves the sites (and checks the layer names) once per model. */
  prepare(model: tfl.LayersModel): void {
    this.selector.prepare(model);
  }

  /** Σ_sites siteLoss (unweighted). */
  compute(context: TermContext): tf.Scalar {
    return tf.tidy(() => {
      const sites = this.selector.activations(context.trace, context.model);
      return tf.addN(sites.map((site, index) => this.siteLoss(site, context, index))) as tf.Scalar;
    });
  }

  /** The term's value on the activations of site number `index`. */
  protected abstract siteLoss(
    activations: SiteActivations,
    context: TermContext,
    index: number,
  ): tf.Scalar;
}
