/**
 * Which activations an activation-based term (PER, L1/L2 activation penalties, VCL, DeCov) or
 * the activation monitor looks at, and how a conv feature map becomes a matrix of samples.
 *
 * A *site* is one regularized activation tensor in the forward trace. By default the sites are
 * the hidden weight layers (every Dense/Conv layer but the last, which produces the logits):
 *
 * - `placement: 'post'` — the hidden representation after its non-linearity (the paper's h):
 *   the weight layer's output when its activation is fused (`dense({activation: 'elu'})`), or
 *   the output of the normalisation/activation chain right after it — for the zoo's
 *   `dense_k → bn_k → act_k` pattern that is `act_k`'s output.
 * - `placement: 'pre'` — the value that enters the non-linearity: the fused layer's
 *   pre-activation, or the input of the first Activation layer of the chain (for
 *   `dense_k → bn_k → act_k` that is `bn_k`'s output), or the weight layer's output when there is
 *   no non-linearity at all.
 *
 * A user may name any layer with `layers`: a weight layer maps as above (its chain included);
 * another layer (e.g. `act_2`, `pool_1`) gives its own output for `post` and, for `pre`, the
 * input of an activation layer or the pre-activation of a fused one.
 *
 * Conv maps `[b, H, W, C]` become samples either as `flatten` (one C·H·W vector per sample) or
 * `channels` (every spatial position is a sample of the C channels: a `[b·H·W, C]` matrix).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import type { ForwardTrace } from '../../train/trace.js';
import { fusedActivationName, sequentialLayers, traceLayer } from '../../train/trace.js';

/** Whether a term looks at activations after (`post`) or before (`pre`) the non-linearity. */
export type Placement = 'post' | 'pre';
/** How a conv feature map becomes samples (see the file comment). */
export type ConvMode = 'flatten' | 'channels';

export const PLACEMENTS: readonly Placement[] = ['post', 'pre'];
export const CONV_MODES: readonly ConvMode[] = ['flatten', 'channels'];

/** Options shared by every activation-based term and monitor. */
export interface ActivationSelection {
  /** Layer names; default: every hidden weight layer (the output layer excluded). */
  layers?: readonly string[];
  /** After (`post`, default) or before (`pre`) the non-linearity. */
  placement?: Placement;
  /** How conv maps become samples (default `flatten`). */
  conv?: ConvMode;
}

/** Layer classes whose output is a new representation (they own a kernel). */
const WEIGHT_LAYER_CLASSES = new Set([
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Conv2DTranspose',
  'Conv3DTranspose',
]);
/** Layers that turn a weight layer's output into an activation: normalisation then a non-linearity. */
const ACTIVATION_CLASSES = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'PReLU',
  'ThresholdedReLU',
  'Softmax',
]);
const CHAIN_CLASSES = new Set([...ACTIVATION_CLASSES, 'BatchNormalization', 'LayerNormalization']);

/** Where one site's tensor sits in the trace. */
export interface ActivationSite {
  /** The name the user refers to (the weight layer, e.g. `dense_2`); keys metrics. */
  readonly name: string;
  /** The trace entry holding the tensor (e.g. `act_2` for a `dense_2 → bn_2 → act_2` chain). */
  readonly traceLayer: string;
  readonly tensor: 'output' | 'input' | 'preActivation';
  /** Shape of one sample of the tensor (the layer's output shape without the batch). */
  readonly sampleShape: readonly number[];
}

/** One site's activations for a batch, as a `[samples, units]` matrix. */
export interface SiteActivations {
  readonly site: ActivationSite;
  /** `[rows, units]`: rows = batch (`flatten`) or batch·positions (`channels`). */
  readonly samples: tf.Tensor2D;
  /** The batch size b (rows / positions in `channels` mode). */
  readonly batchSize: number;
}

type Entry = tfl.layers.Layer;

function isWeightLayer(layer: Entry): boolean {
  return WEIGHT_LAYER_CLASSES.has(layer.getClassName());
}

function hasFusedNonLinearity(layer: Entry): boolean {
  return fusedActivationName(layer) !== 'linear';
}

function sampleShapeOf(layer: Entry): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.slice(1).map((n) => n ?? -1);
}

/** The site of layer `index` for `placement` (see the file comment for the mapping). */
function siteAt(layers: readonly Entry[], index: number, placement: Placement): ActivationSite {
  const named = layers[index];
  let chainEnd = index;
  if (isWeightLayer(named)) {
    while (chainEnd + 1 < layers.length && CHAIN_CLASSES.has(layers[chainEnd + 1].getClassName()))
      chainEnd++;
  }
  const site = (at: number, tensor: ActivationSite['tensor']): ActivationSite => ({
    name: named.name,
    traceLayer: layers[at].name,
    tensor,
    sampleShape: sampleShapeOf(layers[at]),
  });
  if (placement === 'post') return site(chainEnd, 'output');
  for (let j = index; j <= chainEnd; j++) {
    if (ACTIVATION_CLASSES.has(layers[j].getClassName())) return site(j, 'input');
    if (hasFusedNonLinearity(layers[j])) return site(j, 'preActivation');
  }
  return site(index, 'output');
}

/**
 * Resolves the sites of `model` for `selection`.
 * @throws ReglabError for an unknown layer name or a model without hidden weight layers.
 */
export function resolveSites(
  model: tfl.LayersModel,
  selection: ActivationSelection = {},
): ActivationSite[] {
  const layers = sequentialLayers(model);
  const placement = selection.placement ?? 'post';
  if (selection.layers) {
    return selection.layers.map((name) => {
      const index = layers.findIndex((layer) => layer.name === name);
      if (index < 0) {
        throw new ReglabError(
          `no layer named "${name}" in the model`,
          `choose from: ${layers.map((l) => l.name).join(', ')}`,
        );
      }
      return siteAt(layers, index, placement);
    });
  }
  const weightLayers = layers.flatMap((layer, index) => (isWeightLayer(layer) ? [index] : []));
  const hidden = weightLayers.slice(0, -1);
  if (hidden.length === 0) {
    throw new ReglabError(
      `model ${model.name} has no hidden weight layer to regularize (only the output layer)`,
      'use a model with hidden layers, or name the layers explicitly (…@layer_name)',
    );
  }
  return hidden.map((index) => siteAt(layers, index, placement));
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
  sites: readonly ActivationSite[],
  conv: ConvMode,
): SiteActivations[] {
  const batchSize = trace.input.shape[0];
  return sites.map((site) => {
    const entry = traceLayer(trace, site.traceLayer);
    const value =
      site.tensor === 'input'
        ? entry.input
        : site.tensor === 'preActivation'
          ? entry.preActivation
          : entry.output;
    if (!value)
      throw new ReglabError(
        `layer ${entry.name} has no ${site.tensor} in the trace`,
        'use placement post',
      );
    return { site, samples: asSamples(value, conv), batchSize };
  });
}

/** Number of units (columns of the sample matrix) of a site. */
export function siteUnits(site: ActivationSite, conv: ConvMode): number {
  const shape = site.sampleShape;
  return conv === 'channels' ? shape[shape.length - 1] : shape.reduce((a, b) => a * b, 1);
}

/**
 * Resolves sites once per model (at `prepare`, or lazily on first use) and hands a term its
 * site activations. Every activation-based term and monitor holds one.
 */
export class ActivationSelector {
  readonly layers?: readonly string[];
  readonly placement: Placement;
  readonly conv: ConvMode;
  private sites?: ActivationSite[];
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
  prepare(model: tfl.LayersModel): ActivationSite[] {
    if (this.model !== model || !this.sites) {
      this.sites = resolveSites(model, { layers: this.layers, placement: this.placement });
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
