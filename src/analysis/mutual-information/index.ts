/**
 * Mutual information per layer — I(X;T) and I(T;Y) for the activations T of a layer over a
 * held-out batch — the coordinates of an information plane (Shwartz-Ziv & Tishby 2017, "Opening
 * the black box of deep neural networks via information"; Saxe et al. 2018, ICLR, "On the
 * information bottleneck theory of deep learning").
 *
 * Two estimators: `binning` (Shwartz-Ziv & Tishby's discretisation, see ./binning.ts) and `kde`
 * (Kolchinsky & Tracey 2017's pairwise-distance bound on a noisy layer, see ./kde.ts). X is the
 * batch itself (n distinct samples, uniform), Y the integer labels. docs/mutual-information.md
 * explains the choices and the biases.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../../core/errors.js';
import { fusedActivationName } from '../../models/anatomy.js';
import type { ForwardTrace } from '../../train/trace.js';
import { binningMutualInformation, type BinRange } from './binning.js';
import { checkLabels, fromNats, type InformationUnits } from './discrete.js';
import { toMatrix, toTensor2D, type Activations } from './input.js';
import { kernelMutualInformation, type KernelBound } from './kde.js';

export {
  entropyOfLabels,
  discreteMutualInformation,
  entropyOfSymbols,
  type InformationUnits,
} from './discrete.js';
export { binIndices, patternIds, type BinRange } from './binning.js';
export { pairwiseKernelTerm, type KernelBound } from './kde.js';
export type { Activations } from './input.js';

/** Number of bins per unit of Shwartz-Ziv & Tishby 2017. */
export const DEFAULT_BINS = 30;

/**
 * Noise variance σ² of the kernel estimator: 1e-3, the value of the code that produced Saxe et
 * al.'s 2018 information planes (github.com/artemyk/ibsgd, `noise_variance = 1e-3`).
 */
export const DEFAULT_NOISE_VARIANCE = 1e-3;

/** Options of {@link mutualInformation}. */
export interface MutualInformationOptions {
  /** `binning` (Shwartz-Ziv & Tishby 2017, the default) or `kde` (Kolchinsky & Tracey 2017). */
  estimator?: 'binning' | 'kde';
  /** Binning: bins per unit (default {@link DEFAULT_BINS}). */
  bins?: number;
  /**
   * Binning: how values map to bins (see {@link BinRange}). Default: the activation's fixed range
   * when `activation` is bounded (tanh, sigmoid, …), else `'batch'`.
   */
  binRange?: BinRange;
  /** Name of the layer's activation (`tanh`, `sigmoid`, `relu`, …), to pick the default bin range. */
  activation?: string;
  /** KDE: variance σ² of the Gaussian noise added to the layer (default {@link DEFAULT_NOISE_VARIANCE}). */
  noiseVariance?: number;
  /** KDE: `upper` (KL, default, as Saxe et al.) or `lower` (Bhattacharyya) bound on I(X;T). */
  bound?: KernelBound;
  /** Units of the result (default `bits`, as information-plane plots use). */
  units?: InformationUnits;
}

/** The two coordinates of a layer in the information plane. */
export interface MutualInformation {
  /** I(X;T): how much the layer keeps about the input. */
  ixt: number;
  /** I(T;Y): how much the layer keeps about the label. */
  ity: number;
}

/** One layer's activations over the batch, as {@link layerwiseMutualInformation} takes them. */
export interface LayerActivations {
  readonly name: string;
  readonly activations: Activations;
  /** The layer's activation function, to pick the default bin range (see {@link activationRange}). */
  readonly activation?: string;
}

/** {@link MutualInformation} of one named layer. */
export interface LayerMutualInformation extends MutualInformation {
  readonly name: string;
}

/** Output ranges of the bounded activations (names as TF.js spells them, case-insensitive). */
const BOUNDED_RANGES: Record<string, readonly [number, number]> = {
  tanh: [-1, 1],
  softsign: [-1, 1],
  sigmoid: [0, 1],
  hardsigmoid: [0, 1],
  softmax: [0, 1],
};

/** The fixed output range of a bounded activation, or undefined for an unbounded one (relu, linear, …). */
export function activationRange(activation?: string): readonly [number, number] | undefined {
  return activation === undefined
    ? undefined
    : BOUNDED_RANGES[activation.toLowerCase().replace(/_/g, '')];
}

/**
 * I(X;T) and I(T;Y) of one layer. `activations` are the layer's values over a held-out batch
 * (n samples on the first axis), `labels` the n integer classes. Reads tensors back synchronously;
 * disposes everything it creates (the caller keeps `activations`).
 */
export function mutualInformation(
  activations: Activations,
  labels: ArrayLike<number>,
  options: MutualInformationOptions = {},
): MutualInformation {
  const checked = checkLabels(labels);
  const nats = estimateNats(activations, checked, options);
  const units = options.units ?? 'bits';
  return { ixt: fromNats(nats.ixt, units), ity: fromNats(nats.ity, units) };
}

/** Dispatches to the chosen estimator; results in nats. */
function estimateNats(
  activations: Activations,
  labels: Int32Array,
  options: MutualInformationOptions,
): MutualInformation {
  const estimator = options.estimator ?? 'binning';
  if (estimator === 'binning') {
    const range = options.binRange ?? activationRange(options.activation) ?? 'batch';
    return binningMutualInformation(
      toMatrix(activations, labels.length),
      labels,
      options.bins ?? DEFAULT_BINS,
      range,
    );
  }
  if (estimator === 'kde') {
    const h = tf.tidy(() => toTensor2D(activations, labels.length));
    try {
      return kernelMutualInformation(
        h,
        labels,
        options.noiseVariance ?? DEFAULT_NOISE_VARIANCE,
        options.bound ?? 'upper',
      );
    } finally {
      h.dispose(); // a reshaped view: the caller's tensor keeps its data
    }
  }
  throw new ReglabError(`unknown MI estimator '${String(estimator)}'`, "use 'binning' or 'kde'");
}

/**
 * {@link mutualInformation} of every layer, in order, on the same batch and labels. A layer's own
 * `activation` overrides `options.activation` when picking the bin range.
 */
export function layerwiseMutualInformation(
  layers: readonly LayerActivations[],
  labels: ArrayLike<number>,
  options: MutualInformationOptions = {},
): LayerMutualInformation[] {
  return layers.map((layer) => ({
    name: layer.name,
    ...mutualInformation(layer.activations, labels, {
      ...options,
      activation: layer.activation ?? options.activation,
    }),
  }));
}

/** The layers of a forward trace (run on the held-out batch) as {@link layerwiseMutualInformation} takes them. */
export function layersFromTrace(trace: ForwardTrace): LayerActivations[] {
  return trace.layers.map((layer) => ({
    name: layer.name,
    activations: layer.output,
    activation: fusedActivationName(layer.layer),
  }));
}
