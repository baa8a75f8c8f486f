/**
 * Orthogonality baselines of the racecar paper, as regularization terms on every kernel W
 * (Dense [in, out]; Conv2D [kh, kw, in, out] reshaped to [kh·kw·in, out], as the official code):
 *
 * - `srip` (Bansal et al. 2018, the racecar "Ort" baseline, official code): A = WᵀW − I, one
 *   power iteration from a fresh random u per step,
 *
 *     v = normalize(Aᵀu),  u = normalize(A v),  σ = |uᵀ A v|,   penalty Σ_layers σ²,
 *
 *   a stochastic estimate from below of the squared spectral norm ‖WᵀW − I‖₂² (more
 *   iterations: `powerIterations`, converging to it);
 * - `frobenius`: Σ_layers ‖WᵀW − I‖²_F (soft orthogonality).
 *
 * `normalize(x) = x / sqrt(max(Σx², 1e-12))`, TF's `l2_normalize` with the official epsilon.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { sequentialLayers } from '../train/trace.js';
import type { RegularizationTerm, TermContext } from '../train/term.js';

/** Which orthogonality penalty. */
export type OrthogonalityKind = 'srip' | 'frobenius';

/** Options of {@link orthogonality}. */
export interface OrthogonalityOptions {
  /** The term's weight (the official "orthofactor", 0.1 in the MNIST toy). */
  factor: number;
  /** `srip` (default) or `frobenius`. */
  kind?: OrthogonalityKind;
  /** Only the kernels of these layers (default: every layer with a kernel). */
  layers?: readonly string[];
  /** SRIP power iterations per step (default 1, as the official code). */
  powerIterations?: number;
}

/** A kernel as a matrix with one column per output unit: [kh·kw·in, out] for convolutions. */
export function kernelMatrix(kernel: tf.Tensor): tf.Tensor2D {
  return tf.reshape(kernel, [-1, kernel.shape[kernel.rank - 1]]);
}

/** A = WᵀW − I for a kernel matrix W [rows, out]. */
export function gramDeviation(matrix: tf.Tensor2D): tf.Tensor2D {
  const columns = matrix.shape[1];
  return tf.sub(tf.matMul(tf.transpose(matrix), matrix), tf.eye(columns)) as tf.Tensor2D;
}

function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x)), 1e-12)));
}

/**
 * SRIP's σ = |uᵀAv| after `iterations` power steps from `u0` [out, 1] (the official code: one
 * step; v = normalize(Aᵀu), u = normalize(Av)).
 */
export function sripSigma(matrix: tf.Tensor2D, u0: tf.Tensor, iterations = 1): tf.Scalar {
  return tf.tidy(() => {
    const a = gramDeviation(matrix);
    let u = l2Normalize(u0);
    let v = u;
    for (let k = 0; k < iterations; k++) {
      v = l2Normalize(tf.matMul(tf.transpose(a), u as tf.Tensor2D));
      u = l2Normalize(tf.matMul(a, v as tf.Tensor2D));
    }
    return tf.abs(tf.sum(tf.mul(u, tf.matMul(a, v as tf.Tensor2D)))) as tf.Scalar;
  });
}

/** ‖WᵀW − I‖²_F. */
export function frobeniusDeviation(matrix: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(gramDeviation(matrix))) as tf.Scalar);
}

/** The kernels of `model` (weights named `…/kernel`), optionally only of `layers`. */
export function modelKernels(model: tfl.LayersModel, layers?: readonly string[]): { layer: string; kernel: tf.Tensor }[] {
  const all = sequentialLayers(model).flatMap((layer) =>
    layer.weights.filter((w) => w.originalName.endsWith('/kernel')).map((w) => ({ layer: layer.name, kernel: w.read() })),
  );
  if (!layers) return all;
  const missing = layers.filter((name) => !all.some((entry) => entry.layer === name));
  if (missing.length > 0) {
    throw new ReglabError(`ort: no kernel in layer ${missing.join(', ')}`, `layers with kernels: ${[...new Set(all.map((e) => e.layer))].join(', ')}`);
  }
  return all.filter((entry) => layers.includes(entry.layer));
}

/** The orthogonality term; see the file comment. */
export class OrthogonalityTerm implements RegularizationTerm {
  readonly name = 'ort';
  readonly weight: number;
  readonly kind: OrthogonalityKind;
  readonly powerIterations: number;

  constructor(readonly options: OrthogonalityOptions) {
    if (!Number.isFinite(options.factor) || options.factor < 0) {
      throw new ReglabError(`ort factor ${options.factor} is not a non-negative number`, 'e.g. orthogonality({factor: 0.1})');
    }
    this.weight = options.factor;
    this.kind = options.kind ?? 'srip';
    this.powerIterations = options.powerIterations ?? 1;
  }

  prepare(model: tfl.LayersModel): void {
    if (modelKernels(model, this.options.layers).length === 0) {
      throw new ReglabError(`ort: model ${model.name} has no kernel to make orthogonal`, 'add a Dense or Conv2D layer');
    }
  }

  /** The penalty of one kernel; `rng` draws SRIP's fresh u. */
  penalty(kernel: tf.Tensor, rng: Random): tf.Scalar {
    const matrix = kernelMatrix(kernel);
    if (this.kind === 'frobenius') return frobeniusDeviation(matrix);
    return tf.tidy(() => tf.square(sripSigma(matrix, rng.normalTensor([matrix.shape[1], 1]), this.powerIterations)));
  }

  compute({ model, rng }: TermContext): tf.Scalar {
    return tf.tidy(() => tf.addN(modelKernels(model, this.options.layers).map(({ kernel }) => this.penalty(kernel, rng))) as tf.Scalar);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, kind: this.kind, factor: this.weight, powerIterations: this.powerIterations, layers: this.options.layers ?? null };
  }
}

/** An orthogonality baseline term (see {@link OrthogonalityOptions}). */
export function orthogonality(options: OrthogonalityOptions): OrthogonalityTerm {
  return new OrthogonalityTerm(options);
}
