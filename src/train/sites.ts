/**
 * The activations an activation-based term (PER, L1/L2 activation penalties, VCL, DeCov) or
 * the activation monitor reads: the sites of the model's anatomy (models/anatomy.ts — by
 * default every hidden block, or every residual unit of a residual network) taken from the
 * forward trace as `[samples, units]` matrices.
 *
 * Conv maps `[b, H, W, C]` become samples either as `flatten` (one C·H·W vector per sample) or
 * `channels` (every spatial position is a sample of the C channels: a `[b·H·W, C]` matrix).
 * Other `[b, T, units]` tensors likewise: `flatten`, or `channels` (every time step a sample).
 *
 * The output of a recurrent block (`Site.sequence`: an LSTM's `[b, T, units]`) is always read
 * with every time step a sample, time-major — `[T·b, units]`, row t·b + i = step t of sequence
 * i — and the site's batch size is T·b. So PER is the mean over all b·T steps, the L1/L2
 * penalties divide by b·T (the per-sample sum, as for an MLP's rows), and VCL's groups are the
 * first and second `groupSize` rows: step 0 of sequences 0…4 and 5…9 (independent streams,
 * not consecutive steps of one sequence). The `conv` option does not apply to them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { OptionSchema, Spec } from '../core/spec.js';
import { PLACEMENTS, resolveSites, type Placement, type Site } from '../models/anatomy.js';
import { siteTensor, type ForwardTrace } from './trace.js';

export { PLACEMENTS, type Placement };
/** How a conv feature map becomes samples (see the file comment). */
export type ConvMode = 'flatten' | 'channels';
export const CONV_MODES: readonly ConvMode[] = ['flatten', 'channels'];

/** Options shared by every activation-based term and monitor. */
export interface ActivationSelection {
  /** Layer names or patterns (`conv_*`); default: the anatomy's hidden sites. */
  layers?: readonly string[];
  /** After (`post`, default) or before (`pre`) the non-linearity. */
  placement?: Placement;
  /** How conv maps become samples (default `flatten`). */
  conv?: ConvMode;
}

/** One site's activations for a batch, as a `[samples, units]` matrix. */
export interface SiteActivations {
  readonly site: Site;
  /** `[rows, units]`: rows = batch (`flatten`) or batch·positions (`channels`). */
  readonly samples: tf.Tensor2D;
  /** The batch size b (rows / positions in `channels` mode). */
  readonly batchSize: number;
}

/** The `[rows, units]` sample matrix of an activation tensor (see {@link ConvMode}). */
export function asSamples(value: tf.Tensor, conv: ConvMode): tf.Tensor2D {
  if (value.rank < 2) {
    throw new ReglabError(
      `an activation of shape [${value.shape}] has no batch and unit axes`,
      'regularize a layer with a [batch, …] output',
    );
  }
  if (value.rank === 2) return value as tf.Tensor2D;
  const units = conv === 'channels' ? value.shape[value.rank - 1] : value.size / value.shape[0];
  return tf.reshape(value, [-1, units]) as tf.Tensor2D;
}

/** The activations of every site in `trace`. */
export function siteActivations(
  trace: ForwardTrace,
  sites: readonly Site[],
  conv: ConvMode,
): SiteActivations[] {
  const batchSize = trace.input.shape[0];
  return sites.map((site) => {
    const value = siteTensor(trace, site);
    if (!site.sequence) return { site, samples: asSamples(value, conv), batchSize };
    const samples = timeSteps(value);
    return { site, samples, batchSize: samples.shape[0] };
  });
}

/** A sequence `[b, T, units]` as its time steps, time-major: `[T·b, units]` (file comment). */
export function timeSteps(value: tf.Tensor): tf.Tensor2D {
  if (value.rank !== 3) {
    throw new ReglabError(
      `a recurrent output of shape [${value.shape}] is not a sequence [batch, steps, units]`,
      'build the recurrent layer with returnSequences: true',
    );
  }
  return tf.reshape(tf.transpose(value, [1, 0, 2]), [-1, value.shape[2] as number]);
}

/** Number of units (columns of the sample matrix) of a site. */
export function siteUnits(site: Site, conv: ConvMode): number {
  const shape = site.sampleShape;
  return conv === 'channels' || site.sequence
    ? shape[shape.length - 1]
    : shape.reduce((a, b) => a * b, 1);
}

/**
 * Resolves sites once per model (at `prepare`, or lazily on first use) and hands a term its
 * site activations. Every activation-based term and monitor holds one.
 */
export class ActivationSelector {
  readonly layers?: readonly string[];
  readonly placement: Placement;
  readonly conv: ConvMode;
  private sites?: Site[];
  private model?: tfl.LayersModel;

  constructor(
    selection: ActivationSelection = {},
    defaults: { placement?: Placement; conv?: ConvMode } = {},
  ) {
    this.layers = selection.layers;
    this.placement = checkChoice(
      'placement',
      selection.placement ?? defaults.placement ?? 'post',
      PLACEMENTS,
    );
    this.conv = checkChoice('conv', selection.conv ?? defaults.conv ?? 'flatten', CONV_MODES);
  }

  /** Resolves and caches the sites of `model`. */
  prepare(model: tfl.LayersModel): Site[] {
    if (this.model !== model || !this.sites) {
      this.sites = resolveSites(model, this.layers, this.placement);
      this.model = model;
    }
    return this.sites;
  }

  /** The sites' activations in `trace` of `model`. */
  activations(trace: ForwardTrace, model: tfl.LayersModel): SiteActivations[] {
    return siteActivations(trace, this.prepare(model), this.conv);
  }
}

function checkChoice<T extends string>(what: string, value: T, choices: readonly T[]): T {
  if (!choices.includes(value))
    throw new ReglabError(`${what} "${value}" is unknown`, `use one of ${choices.join(', ')}`);
  return value;
}

/** The spec options every activation term reads: `post|pre`, `flatten|channels` (and `@layers`). */
export function selectionOptions(
  defaults: { placement?: Placement; conv?: ConvMode } = {},
): Record<string, OptionSchema> {
  return {
    placement: { type: 'choice', values: PLACEMENTS, default: defaults.placement ?? 'post' },
    conv: { type: 'choice', values: CONV_MODES, default: defaults.conv ?? 'flatten' },
  };
}

/** The selection a parsed spec names. */
export function selectionOf(spec: Spec): ActivationSelection {
  return {
    layers: spec.targets,
    placement: spec.options.placement as Placement,
    conv: spec.options.conv as ConvMode,
  };
}
