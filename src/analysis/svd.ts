/**
 * Singular value analysis of weight layers, as in the racecar paper's SVD discussion
 * (Xie & Thuerey, arXiv 2007.00024; see docs/analysis.md).
 *
 * Which matrix. TF.js stores a Dense kernel as W ∈ ℝ^{in×out} and computes y = xW for a row
 * vector x, i.e. for a column vector d the forward map is d ↦ M d with
 *
 *   M = Wᵀ ∈ ℝ^{out×in},   M = U Σ Vᵀ   (U ∈ ℝ^{out×r}, Σ = diag(σ_1 ≥ … ≥ σ_r), V ∈ ℝ^{in×r}).
 *
 * The RIGHT singular vectors of M (columns of V) live in the layer's INPUT space: they are the
 * directions the layer reads, and the ones racecar training moves into the data subspace
 * (minimising ‖(VΣ²Vᵀ − I)d‖² over the data). Since W = Mᵀ = V Σ Uᵀ, they are the LEFT
 * singular vectors of the stored kernel W; that is how they are computed here.
 *
 * Convolutions. A Conv kernel K ∈ ℝ^{kh×kw×in×out} is read as W = reshape(K, [kh·kw·in, out])
 * (row-major, so row (i·kw + j)·in + c holds K[i, j, c, :]): every output pixel is
 * y[p, o] = Σ_{i,j,c} patch_p[i, j, c] K[i, j, c, o] = (Wᵀ vec(patch_p))_o, so W is the
 * layer's map on one flattened input patch, and its input-space singular vectors are
 * kh×kw×in patches. (This is the per-patch matrix that SRIP's orthogonality also constrains,
 * not the much larger matrix of the convolution on the whole image.)
 *
 * Sign. A singular pair (u, v) is only defined up to a common sign; every input-space vector
 * is returned with its largest-magnitude entry positive, so results are reproducible.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { check } from '../core/errors.js';
import { matchTargets } from '../core/spec.js';
import { kernelNodes, kernelOf } from '../models/anatomy.js';
import { modelGraph } from '../models/graph.js';
import { datasetSize, sampleLength, type Dataset } from '../data/dataset.js';
import { imageShapeOf, scaleImage, type Image, type ImageScale } from './images.js';

/** Layer classes whose kernel is `[...window, in, out]` and is analysed as `[prod(window)·in, out]`. */
export const SPECTRUM_LAYER_CLASSES = ['Dense', 'Conv1D', 'Conv2D', 'Conv3D'] as const;

/** The spectrum of one weight layer. */
export interface LayerSpectrum {
  /** Layer name, e.g. `dense_1`. */
  name: string;
  className: string;
  /** Shape of the stored kernel, e.g. `[3, 3, 1, 32]`. */
  kernelShape: number[];
  /** `[rows, columns]` of the analysed matrix W: `[inputDim, outputDim]` (M = Wᵀ is the forward map). */
  matrixShape: [number, number];
  /** σ_1 ≥ σ_2 ≥ … ≥ σ_r, r = min(inputDim, outputDim). */
  singularValues: number[];
  /**
   * Only with `vectors: true`: the right singular vectors of M = Wᵀ, in the layer's input
   * space, unit norm, `inputVectors[k]` belonging to `singularValues[k]`.
   */
  inputVectors?: Float64Array[];
}

/** Options of {@link weightSpectrum}. */
export interface SpectrumOptions {
  /** Names of the layers to analyse (default: every Dense/Conv layer). */
  layers?: readonly string[];
  /** Also return the input-space singular vectors (default false). */
  vectors?: boolean;
}

function isSpectrumLayer(layer: tfl.layers.Layer): boolean {
  return (SPECTRUM_LAYER_CLASSES as readonly string[]).includes(layer.getClassName());
}

/**
 * The kernel of a weight layer as the ml-matrix W = reshape(K, [prod(K.shape[:-1]), out]) —
 * models/anatomy.ts `kernelMatrix` read off the backend, for the float64 SVD.
 */
export function kernelAsMatrix(layer: tfl.layers.Layer): { matrix: Matrix; kernelShape: number[] } {
  check(
    isSpectrumLayer(layer),
    `layer ${layer.name} is a ${layer.getClassName()}, which has no kernel to analyse`,
    `the spectrum covers ${SPECTRUM_LAYER_CLASSES.join(', ')} layers`,
  );
  const kernel = kernelOf(layer);
  const kernelShape = kernel.shape.map(Number);
  const [rows, out] = [
    kernel.size / kernelShape[kernelShape.length - 1],
    kernelShape[kernelShape.length - 1],
  ];
  const values = kernel.dataSync();
  return { matrix: Matrix.from1DArray(rows, out, Array.from(values)), kernelShape };
}

/** Makes the largest-magnitude entry of `v` positive (the sign convention of this module). */
function fixSign(v: Float64Array): Float64Array {
  let largest = 0;
  for (const value of v) if (Math.abs(value) > Math.abs(largest)) largest = value;
  return largest < 0 ? v.map((value) => -value) : v;
}

/** Singular values (descending) and optionally the input-space singular vectors of W (see file comment). */
export function matrixSpectrum(
  matrix: Matrix,
  vectors = false,
): { singularValues: number[]; inputVectors?: Float64Array[] } {
  // W = V Σ Uᵀ: the input-space vectors are W's LEFT singular vectors.
  const svd = new SingularValueDecomposition(matrix, {
    computeLeftSingularVectors: vectors,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  const sigma = svd.diagonal;
  const order = sigma.map((_, k) => k).sort((a, b) => sigma[b] - sigma[a]);
  const singularValues = order.map((k) => sigma[k]);
  if (!vectors) return { singularValues };
  const left = svd.leftSingularVectors;
  const inputVectors = order.map((k) => fixSign(Float64Array.from(left.getColumn(k))));
  return { singularValues, inputVectors };
}

/** The layers {@link weightSpectrum} analyses, in model order. */
function spectrumLayers(model: tfl.LayersModel, names?: readonly string[]): tfl.layers.Layer[] {
  const nodes = kernelNodes(modelGraph(model)).filter((node) => isSpectrumLayer(node.layer));
  if (!names) return nodes.map((node) => node.layer);
  const chosen = matchTargets(
    names,
    nodes.map((node) => node.name),
    'weight layer',
  );
  return chosen.map((name) => nodes.find((node) => node.name === name)!.layer);
}

/**
 * Per weight layer, the singular values of M = Wᵀ (descending) and, with `vectors`, its right
 * singular vectors in the layer's input space. Dense kernels are used as stored (`[in, out]`),
 * convolution kernels reshaped to `[kh·kw·in, out]` (see the file comment).
 */
export function weightSpectrum(
  model: tfl.LayersModel,
  options: SpectrumOptions = {},
): LayerSpectrum[] {
  return spectrumLayers(model, options.layers).map((layer) => {
    const { matrix, kernelShape } = kernelAsMatrix(layer);
    return {
      name: layer.name,
      className: layer.getClassName(),
      kernelShape,
      matrixShape: [matrix.rows, matrix.columns] as [number, number],
      ...matrixSpectrum(matrix, options.vectors),
    };
  });
}

/** One input-space singular vector drawn as an image. */
export interface SingularImage extends Image {
  /** Position in the descending order of σ (0 = largest). */
  rank: number;
  sigma: number;
  /** The unit vector itself (input-space coordinates, before the [0, 1] mapping). */
  vector: Float64Array;
}

/** The first weight layer's singular vectors as images. */
export interface SingularImages {
  layer: string;
  className: string;
  /** [H, W, C] of every image: the model's input shape (Dense) or the kernel window (Conv). */
  imageShape: [number, number, number];
  /** Sorted by σ, descending. */
  images: SingularImage[];
}

/** Shape of the first layer's input space as an image. */
function inputImageShape(
  layer: tfl.layers.Layer,
  kernelShape: number[],
  inputShape: readonly number[],
): [number, number, number] {
  const rows = kernelShape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (layer.getClassName() !== 'Dense') {
    // Convolution: one input patch, [window..., in] → [H, W, C].
    const { height, width, channels } = imageShapeOf(
      kernelShape.length === 3 ? [1, ...kernelShape.slice(0, -1)] : kernelShape.slice(0, -1),
    );
    return [height, width, channels];
  }
  const { height, width, channels } = imageShapeOf(inputShape);
  check(
    height * width * channels === rows,
    `the first weight layer ${layer.name} reads ${rows} values, but the input shape [${inputShape}] has ${height * width * channels}`,
    'pass the model input shape (layers before the first weight layer must only flatten or reshape)',
  );
  return [height, width, channels];
}

/**
 * The right singular vectors of the first weight layer's M = Wᵀ, each drawn as an image and
 * mapped to [0, 1] by `scale` (default `minmax`: v ↦ (v − min v)/(max v − min v)), sorted by σ.
 * `inputShape` defaults to the model's input shape without the batch dimension.
 */
export function firstLayerSingularImages(
  model: tfl.LayersModel,
  inputShape?: readonly number[],
  scale: ImageScale = 'minmax',
): SingularImages {
  const layer = spectrumLayers(model)[0];
  check(
    layer,
    `model ${model.name} has no Dense or Conv layer`,
    'singular images need a weight layer',
  );
  const shape = inputShape ?? (model.inputs[0].shape.slice(1) as number[]);
  const [spectrum] = weightSpectrum(model, { layers: [layer.name], vectors: true });
  const [height, width, channels] = inputImageShape(layer, spectrum.kernelShape, shape);
  const images = spectrum.singularValues.map((sigma, rank) => {
    const vector = spectrum.inputVectors![rank];
    const image = { height, width, channels, data: Float32Array.from(vector) };
    return { ...image, data: scaleImage(image, scale), rank, sigma, vector };
  });
  return {
    layer: layer.name,
    className: spectrum.className,
    imageShape: [height, width, channels],
    images,
  };
}

/** An orthonormal basis of the span of a set of vectors. */
export interface SpanBasis {
  /** `dim × rank`, orthonormal columns. */
  basis: Matrix;
  rank: number;
  dim: number;
  /** Singular values of the sample matrix, descending (all of them, kept and dropped). */
  singularValues: number[];
  /** Singular values at or below this were treated as zero. */
  threshold: number;
}

/** Options of {@link spanBasis} and {@link projectionOntoSpan}. */
export interface SpanOptions {
  /**
   * Relative rank tolerance: singular values ≤ tolerance · σ_max are dropped. Default
   * max(n, d) · 2⁻²³ (numpy's matrix_rank rule with float32's machine epsilon, as reglab data
   * are float32).
   */
  tolerance?: number;
  /** Use at most the first N samples (default: all). The basis costs O(min(n, d)³) in plain JS. */
  maxSamples?: number;
}

const FLOAT32_EPSILON = 2 ** -23;

/**
 * An orthonormal basis of the span of the `n` rows of `rows` (`n × dim`, row-major).
 *
 * With X the n × d sample matrix, X = P S Qᵀ: the columns of Q with s_i above the threshold
 * span the rows. They come from the symmetric eigen-decomposition of the smaller Gram matrix:
 * n ≥ d: XᵀX = Q S² Qᵀ directly; n < d: XXᵀ = P S² Pᵀ and q_i = Xᵀp_i / s_i. Eigenvalues are
 * s², computed in float64: the threshold (≥ 1e-4·σ_max by default) is far above the Gram
 * matrix's rounding (~1e-8·σ_max), so squaring the condition number costs nothing here.
 */
export function spanBasis(
  rows: ArrayLike<number>,
  dim: number,
  options: SpanOptions = {},
): SpanBasis {
  check(
    Number.isInteger(dim) && dim > 0 && rows.length % dim === 0,
    `${rows.length} values are not rows of length ${dim}`,
    'pass n × dim values',
  );
  const n = Math.min(rows.length / dim, options.maxSamples ?? Infinity);
  check(n > 0, 'the span of zero samples is empty', 'pass at least one sample');
  const x = Matrix.from1DArray(
    n,
    dim,
    Array.from({ length: n * dim }, (_, k) => rows[k]),
  );
  const gram = n >= dim ? x.transpose().mmul(x) : x.mmul(x.transpose());
  const eigen = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const lambdas = eigen.realEigenvalues;
  const order = lambdas.map((_, k) => k).sort((a, b) => lambdas[b] - lambdas[a]);
  const singularValues = order.map((k) => Math.sqrt(Math.max(0, lambdas[k])));
  const threshold =
    (options.tolerance ?? Math.max(n, dim) * FLOAT32_EPSILON) * (singularValues[0] ?? 0);
  const kept = order.filter((_, i) => singularValues[i] > threshold);
  const vectors = eigen.eigenvectorMatrix;
  const basis = new Matrix(dim, kept.length);
  kept.forEach((k, column) => {
    const eigenvector = vectors.getColumnVector(k);
    // n < d: map the sample-space eigenvector to the input space, q = Xᵀp / s.
    const q = n >= dim ? eigenvector : x.transpose().mmul(eigenvector).div(Math.sqrt(lambdas[k]));
    basis.setColumn(column, q.getColumn(0));
  });
  return { basis, rank: kept.length, dim, singularValues, threshold };
}

/** ‖P v‖ / ‖v‖: the norm of the projection of the unit vector along `v` onto the span. */
export function projectionNorm(span: SpanBasis, v: ArrayLike<number>): number {
  check(
    v.length === span.dim,
    `vector of length ${v.length} against a span in dimension ${span.dim}`,
    'the vectors and the samples must have the same length',
  );
  const column = Matrix.columnVector(Array.from(v));
  const norm = column.norm();
  if (norm === 0 || span.rank === 0) return 0;
  return span.basis.transpose().mmul(column).norm() / norm;
}

/**
 * For each vector, the norm of its projection onto the span of the samples in `data`, after
 * scaling it to unit length: 1 = inside the span, 0 = orthogonal to every sample, 1/√2 = at
 * 45°. `data` is a {@link Dataset} (each sample flattened) or a flat `n × dim` array with
 * `dim` = the vectors' length.
 */
export function projectionOntoSpan(
  vectors: readonly ArrayLike<number>[],
  data: Dataset | Float32Array,
  options: SpanOptions = {},
): number[] {
  if (vectors.length === 0) return [];
  const dim = data instanceof Float32Array ? vectors[0].length : sampleLength(data);
  const rows = data instanceof Float32Array ? data : data.x;
  if (!(data instanceof Float32Array))
    check(datasetSize(data) > 0, `data set ${data.name} is empty`);
  const span = spanBasis(rows, dim, options);
  return vectors.map((v) => projectionNorm(span, v));
}
