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
 *   iterations: `powerIterations`, converging to it). A is never formed: it is applied to
 *   vectors as Wᵀ(Wx) − x (O(rows·out) per product, where WᵀW costs O(rows·out²) — for a
 *   784×256 kernel that Gram matrix alone cost more than the training step it regularizes);
 *   and since u = normalize(Av), σ² = ‖Av‖²;
 * - `frobenius`: Σ_layers ‖WᵀW − I‖²_F (soft orthogonality).
 *
 * `normalize(x) = x / sqrt(max(Σx², 1e-12))`, TF's `l2_normalize` with the official epsilon.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import type { Random } from '../../core/random.js';
import { matchTargets } from '../../core/spec.js';
import { kernelMatrix, kernelNodes, kernelOf } from '../../models/anatomy.js';
import { modelGraph } from '../../models/graph.js';
import type { RegularizationTerm, TermContext } from '../../train/term.js';

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

/** A = WᵀW − I for a kernel matrix W [rows, out]. */
export function gramDeviation(matrix: tf.Tensor2D): tf.Tensor2D {
  const columns = matrix.shape[1];
  return tf.sub(tf.matMul(tf.transpose(matrix), matrix), tf.eye(columns)) as tf.Tensor2D;
}

function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x)), 1e-12)));
}

/**
 * A x = Wᵀ(W x) − x for a column x [out, 1], without forming A = WᵀW − I: two matrix–vector
 * products (2·rows·out multiply-adds instead of the rows·out² of WᵀW). Wᵀp is computed as pᵀW
 * with pᵀ a free reshape of the column p, so no transposed matmul (a transpose copy of W on
 * wasm) is needed.
 *
 * Its gradient is written out (a customGrad) because autodiff of the two products costs two
 * transpose copies of W, two outer products and their sum per call. With g = ∂L/∂(Ax),
 * ⟨g, WᵀWx⟩ = ⟨Wg, Wx⟩ gives
 *
 *   ∂L/∂x = A g = Wᵀ(Wg) − g,   ∂L/∂W = (Wx) gᵀ + (Wg) xᵀ = [Wx, Wg] · [g, x]ᵀ   (one product)
 */
export function applyGramDeviation(matrix: tf.Tensor2D, x: tf.Tensor): tf.Tensor {
  return gramDeviationOp(matrix, x);
}

/** Wᵀ(W x) for a column x, returning W x too. */
function gramProduct(
  matrix: tf.Tensor2D,
  x: tf.Tensor,
): { projected: tf.Tensor2D; back: tf.Tensor } {
  const [rows, columns] = matrix.shape;
  const projected = tf.matMul(matrix, x as tf.Tensor2D) as tf.Tensor2D;
  const back = tf.reshape(tf.matMul(tf.reshape(projected, [1, rows]) as tf.Tensor2D, matrix), [
    columns,
    1,
  ]);
  return { projected, back };
}

const gramDeviationOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [matrix, x, save] = args as [tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
  const { projected, back } = gramProduct(matrix, x);
  save([matrix, x, projected]);
  return {
    value: tf.sub(back, x),
    gradFunc: (g: tf.Tensor, saved: tf.Tensor[]) => {
      const [w, column, wx] = saved as [tf.Tensor2D, tf.Tensor, tf.Tensor2D];
      const { projected: wg, back: wtwg } = gramProduct(w, g);
      const left = tf.concat([wx, wg], 1) as tf.Tensor2D; // [rows, 2]
      const columns = w.shape[1];
      const right = tf.concat(
        [tf.reshape(g, [1, columns]), tf.reshape(column, [1, columns])],
        0,
      ) as tf.Tensor2D; // [2, out]
      return [tf.matMul(left, right), tf.sub(wtwg, g)];
    },
  };
}) as (matrix: tf.Tensor2D, x: tf.Tensor) => tf.Tensor;

/**
 * SRIP's σ = |uᵀAv| after `iterations` power steps from `u0` [out, 1] (the official code: one
 * step; v = normalize(Aᵀu), u = normalize(Av)); see {@link sripSquared}.
 */
export function sripSigma(matrix: tf.Tensor2D, u0: tf.Tensor, iterations = 1): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sripSquared(matrix, u0, iterations)) as tf.Scalar);
}

/**
 * σ² of {@link sripSigma}, the penalty, computed with fewer ops (same value and gradient):
 * A = WᵀW − I is symmetric (Aᵀu = Au) and only ever applied to vectors
 * ({@link applyGramDeviation}); since the last u = normalize(Av), σ = |uᵀAv| = ‖Av‖; and with
 * a = Au, v = a / ‖a‖, so
 *
 *   σ² = ‖A v‖² = ‖A a‖² / max(‖a‖², 1e-12)
 *
 * (normalize's floor kept) — one scalar division instead of normalising two vectors. Earlier
 * power steps only rescale u (normalize(A normalize(A u)) = normalize(A²u)), which keeps it in
 * floating-point range; u0 itself needs no normalising (nor carries a gradient).
 */
export function sripSquared(matrix: tf.Tensor2D, u0: tf.Tensor, iterations = 1): tf.Scalar {
  if (!(Number.isInteger(iterations) && iterations >= 1)) {
    throw new ReglabError(
      `SRIP power iterations ${iterations} is not a positive integer`,
      'use 1 (the official code) or more',
    );
  }
  return tf.tidy(() => {
    let u = u0;
    for (let k = 1; k < iterations; k++)
      u = l2Normalize(applyGramDeviation(matrix, applyGramDeviation(matrix, u)));
    const a = applyGramDeviation(matrix, u);
    const aa = applyGramDeviation(matrix, a);
    return tf.div(tf.sum(tf.square(aa)), tf.maximum(tf.sum(tf.square(a)), 1e-12)) as tf.Scalar;
  });
}

/** ‖WᵀW − I‖²_F. */
export function frobeniusDeviation(matrix: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(gramDeviation(matrix))) as tf.Scalar);
}

/**
 * The kernels of `model` (models/anatomy.ts `kernelNodes`), optionally only of the layers
 * `layers` names (names, globs like `conv_*`, `/regex/`); a name that selects no kernel layer is
 * an error listing them.
 */
export function modelKernels(
  model: tfl.LayersModel,
  layers?: readonly string[],
): { layer: string; kernel: tf.Tensor }[] {
  const nodes = kernelNodes(modelGraph(model));
  const chosen = layers
    ? matchTargets(
        layers,
        nodes.map((node) => node.name),
        'layer with a kernel',
      )
    : nodes.map((node) => node.name);
  return chosen.map((name) => ({
    layer: name,
    kernel: kernelOf(nodes.find((node) => node.name === name)!.layer),
  }));
}

/** The orthogonality term; see the file comment. */
export class OrthogonalityTerm implements RegularizationTerm {
  readonly name = 'ort';
  readonly weight: number;
  readonly kind: OrthogonalityKind;
  readonly powerIterations: number;

  constructor(readonly options: OrthogonalityOptions) {
    if (!Number.isFinite(options.factor) || options.factor < 0) {
      throw new ReglabError(
        `ort factor ${options.factor} is not a non-negative number`,
        'e.g. orthogonality({factor: 0.1})',
      );
    }
    this.weight = options.factor;
    this.kind = options.kind ?? 'srip';
    this.powerIterations = options.powerIterations ?? 1;
  }

  prepare(model: tfl.LayersModel): void {
    if (modelKernels(model, this.options.layers).length === 0) {
      throw new ReglabError(
        `ort: model ${model.name} has no kernel to make orthogonal`,
        'add a Dense or Conv2D layer',
      );
    }
  }

  /** The penalty of one kernel; `rng` draws SRIP's fresh u. */
  penalty(kernel: tf.Tensor, rng: Random): tf.Scalar {
    const matrix = kernelMatrix(kernel);
    if (this.kind === 'frobenius') return frobeniusDeviation(matrix);
    return sripSquared(matrix, rng.normalTensor([matrix.shape[1], 1]), this.powerIterations);
  }

  compute({ model, rng }: TermContext): tf.Scalar {
    return tf.tidy(
      () =>
        tf.addN(
          modelKernels(model, this.options.layers).map(({ kernel }) => this.penalty(kernel, rng)),
        ) as tf.Scalar,
    );
  }
}

/** An orthogonality baseline term (see {@link OrthogonalityOptions}). */
export function orthogonality(options: OrthogonalityOptions): OrthogonalityTerm {
  return new OrthogonalityTerm(options);
}
