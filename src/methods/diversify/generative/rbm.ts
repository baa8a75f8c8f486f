/**
 * A Bernoulli–Bernoulli restricted Boltzmann machine in TF.js tensors, trained with
 * contrastive divergence (CD-k, Hinton 2002) or persistent CD (Tieleman 2008), optionally
 * with generative diversifying regularization (DR, see divergence.ts).
 *
 *   E(v, h) = −vᵀWh − bᵀv − cᵀh                     (W: [visible, hidden])
 *   p(h_k = 1 | v) = σ(Wᵀv + c)_k,   p(v_i = 1 | h) = σ(Wh + b)_i
 *   F(v) = −bᵀv − Σ_k softplus((Wᵀv + c)_k)          (free energy, p(v) ∝ e^{−F(v)})
 *
 * One CD-k update on a batch V₀ (n rows), learning rate ε:
 *
 *   P₀ = σ(V₀W + c);  H = bernoulli(P₀)   (PCD: H = the persistent chain's hidden state)
 *   repeat k times:   V = bernoulli(σ(HWᵀ + b));  P = σ(VW + c);  H = bernoulli(P)
 *                     (the last H is drawn only for PCD, which keeps it as the chain state)
 *   ΔW = V₀ᵀP₀/n − VᵀP/m,  Δb = mean(V₀ − V),  Δc = mean(P₀ − P)      (m = chain rows)
 *   with DR:  R(W, c) = mean over different-class pairs of penalty(a_i, a_j),  a = V₀W + c
 *   W ← W + ε(ΔW − λ ∂R/∂W),  b ← b + εΔb,  c ← c + ε(Δc − λ ∂R/∂c)
 *   where ∂R/∂W = V₀ᵀG, ∂R/∂c = Σ_rows G, G = ∂R/∂a by autodiff (R depends on W, c only via a)
 *
 * Hidden statistics use probabilities and the negative visible state is a binary sample, as
 * in Hinton's "Practical guide" (2010) §3. Bernoulli draws compare probabilities with uniform
 * numbers from a {@link UniformSource}: the run's `Random` by default, a fixed list in tests.
 * DR with λ = 0 is skipped entirely, so it reproduces plain CD bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../../core/errors.js';
import type { Random } from '../../../core/random.js';
import {
  batchIndices,
  datasetSize,
  sampleLength,
  selectSamples,
  type Dataset,
} from '../../../data/dataset.js';
import { differentClassPairs, type PairIndices } from '../pairs.js';
import { DIVERGENCES, penaltyOfPairs, type DivergenceKind } from './divergence.js';

/** Uniform [0, 1) numbers of a given shape; every Bernoulli draw of the RBM goes through one. */
export type UniformSource = (shape: number[]) => tf.Tensor;

/** The run generator as a {@link UniformSource}. */
export function uniformFrom(rng: Random): UniformSource {
  return (shape) => rng.uniformTensor(shape);
}

/** Binary sample with P(x = 1) = p: 1 where u < p. */
export function bernoulli(probabilities: tf.Tensor, uniform: UniformSource): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.less(uniform(probabilities.shape), probabilities), 'float32'));
}

/** A Bernoulli–Bernoulli RBM (see the file comment). */
export class Rbm {
  /** W, `[visible, hidden]`. */
  readonly weights: tf.Variable<tf.Rank.R2>;
  /** b, `[visible]`. */
  readonly visibleBias: tf.Variable<tf.Rank.R1>;
  /** c, `[hidden]`. */
  readonly hiddenBias: tf.Variable<tf.Rank.R1>;

  /** Takes ownership of the three tensors (they become variables). */
  constructor(weights: tf.Tensor2D, visibleBias: tf.Tensor1D, hiddenBias: tf.Tensor1D) {
    check(
      visibleBias.shape[0] === weights.shape[0] && hiddenBias.shape[0] === weights.shape[1],
      `RBM shapes disagree: W [${weights.shape}], b [${visibleBias.shape}], c [${hiddenBias.shape}]`,
      'W is [visible, hidden], b is [visible], c is [hidden]',
    );
    this.weights = tf.variable(weights);
    this.visibleBias = tf.variable(visibleBias);
    this.hiddenBias = tf.variable(hiddenBias);
    tf.dispose([weights, visibleBias, hiddenBias]);
  }

  /** W ~ N(0, scale²) (Hinton's guide: 0.01), b = c = 0. */
  static random(visible: number, hidden: number, rng: Random, scale = 0.01): Rbm {
    const weights = tf.tidy(() =>
      tf.mul(rng.normalTensor([visible, hidden]), scale),
    ) as tf.Tensor2D;
    return new Rbm(weights, tf.zeros([visible]), tf.zeros([hidden]));
  }

  get visibleUnits(): number {
    return this.weights.shape[0];
  }

  get hiddenUnits(): number {
    return this.weights.shape[1];
  }

  /** a = vW + c, `[n, hidden]`. */
  hiddenPreActivation(v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(v, this.weights), this.hiddenBias) as tf.Tensor2D);
  }

  /** q(h_k = 1 | v) = σ(vW + c), the mean-field posterior. */
  hiddenProbabilities(v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.hiddenPreActivation(v)));
  }

  /**
   * p(v_i = 1 | h) = σ(hWᵀ + b), computed as (W·hᵀ)ᵀ: a transposed operand costs a copy on
   * wasm (reglab's matmul fix transposes it first), and hᵀ and the `[visible, n]` product are
   * far smaller than the `[visible, hidden]` W.
   */
  visibleProbabilities(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(
      () =>
        tf.sigmoid(
          tf.add(tf.transpose(tf.matMul(this.weights, h, false, true)), this.visibleBias),
        ) as tf.Tensor2D,
    );
  }

  /** Mean free energy over the rows of v: F(v) = −bᵀv − Σ_k softplus((vW + c)_k). */
  freeEnergy(v: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const visibleTerm = tf.sum(tf.mul(v, this.visibleBias), 1);
      const hiddenTerm = tf.sum(tf.softplus(this.hiddenPreActivation(v)), 1);
      return tf.mean(tf.neg(tf.add(visibleTerm, hiddenTerm))) as tf.Scalar;
    });
  }

  /** Mean over rows of ‖v − σ(σ(vW + c)Wᵀ + b)‖², the deterministic (mean-field) reconstruction. */
  reconstructionError(v: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const reconstruction = this.visibleProbabilities(this.hiddenProbabilities(v));
      return tf.mean(tf.sum(tf.square(tf.sub(v, reconstruction)), 1)) as tf.Scalar;
    });
  }

  /** Copies of W, b, c. */
  read(): { weights: Float32Array; visibleBias: Float32Array; hiddenBias: Float32Array } {
    return {
      weights: this.weights.dataSync() as Float32Array,
      visibleBias: this.visibleBias.dataSync() as Float32Array,
      hiddenBias: this.hiddenBias.dataSync() as Float32Array,
    };
  }

  dispose(): void {
    tf.dispose([this.weights, this.visibleBias, this.hiddenBias]);
  }
}

/** Generative DR settings. */
export interface GenerativeDrOptions {
  /** The divergence (default `bhattacharyya`: penalise the coefficient). */
  divergence?: DivergenceKind;
  /** λ; 0 turns DR off (and reproduces plain CD exactly). */
  lambda: number;
  /** Cap on the pairs per batch, drawn with the run generator (default 1024). */
  maxPairs?: number;
}

/** R as a function of the batch's hidden pre-activations `a = vW + c`, `[n, hidden]`. */
function drPenaltyOfPreActivation(
  dr: GenerativeDrOptions,
  pairs: PairIndices,
): (a: tf.Tensor2D) => tf.Scalar {
  return (a) =>
    tf.tidy(() =>
      pairs.first.length === 0
        ? tf.scalar(0)
        : (tf.mean(penaltyOfPairs(dr.divergence ?? 'bhattacharyya', a, pairs)) as tf.Scalar),
    );
}

/** R(W, c): the mean DR penalty over the different-class pairs of `labels` (0 without pairs). */
export function generativeDrPenalty(
  rbm: Rbm,
  v: tf.Tensor2D,
  labels: ArrayLike<number>,
  dr: GenerativeDrOptions,
  rng?: Random,
): tf.Scalar {
  const pairs = differentClassPairs(labels, dr.maxPairs ?? 1024, rng);
  return tf.tidy(() => drPenaltyOfPreActivation(dr, pairs)(rbm.hiddenPreActivation(v)));
}

/**
 * R and G = ∂R/∂a (autodiff through the mean-field posteriors) at the pre-activations `a` of
 * the batch. R depends on W and c only through a = vW + c, so ∂R/∂W = vᵀG and ∂R/∂c = Σ_rows G:
 * the CD step folds vᵀG into its own weight-statistics matmul.
 */
function drPreActivationGradient(
  a: tf.Tensor2D,
  labels: ArrayLike<number>,
  dr: GenerativeDrOptions,
  rng?: Random,
): { value: tf.Scalar; grad: tf.Tensor2D } {
  const pairs = differentClassPairs(labels, dr.maxPairs ?? 1024, rng);
  return tf.valueAndGrad(drPenaltyOfPreActivation(dr, pairs))(a) as {
    value: tf.Scalar;
    grad: tf.Tensor2D;
  };
}

/** ∂R/∂W = vᵀ ∂R/∂a and ∂R/∂c = Σ_rows ∂R/∂a, with R's value. */
export function generativeDrGradients(
  rbm: Rbm,
  v: tf.Tensor2D,
  labels: ArrayLike<number>,
  dr: GenerativeDrOptions,
  rng?: Random,
): { value: tf.Scalar; weights: tf.Tensor2D; hiddenBias: tf.Tensor1D } {
  return tf.tidy(() => {
    const { value, grad } = drPreActivationGradient(rbm.hiddenPreActivation(v), labels, dr, rng);
    return {
      value,
      weights: tf.matMul(v, grad, true, false),
      hiddenBias: tf.sum(grad, 0) as tf.Tensor1D,
    };
  });
}

/** Options of one CD update. */
export interface CdOptions {
  /** Gibbs steps k (default 1). */
  k?: number;
  /** Learning rate ε. */
  lr: number;
  uniform: UniformSource;
  /** Generative DR (needs `labels`). */
  dr?: GenerativeDrOptions;
  /** Generator for the DR pair cap. */
  rng?: Random;
}

/** The numbers of one CD update. */
export interface CdStepResult {
  /** R before the update, without DR undefined; the caller owns it (read it when needed). */
  drPenalty?: tf.Scalar;
  /** The hidden state the chain ended in (kept by PCD; the caller owns it). */
  chainEnd?: tf.Tensor2D;
}

/**
 * One CD-k (or PCD, when `chain` is given) update of `rbm` on the batch `v` (see the file
 * comment). `chain` is the persistent hidden state; the returned `chainEnd` replaces it.
 *
 * The weight statistics and the DR gradient are one matmul over the stacked batches,
 *
 *   ε(ΔW − λ vᵀG) = [V₀; V]ᵀ · [ε(P₀/n − λG); −εP/m]      (G = ∂R/∂a, see above)
 *
 * so the `[visible, hidden]` matrices see a single elementwise op (W + step) per update.
 */
export function cdStep(
  rbm: Rbm,
  v: tf.Tensor2D,
  options: CdOptions,
  labels?: ArrayLike<number>,
  chain?: tf.Tensor2D,
): CdStepResult {
  const k = options.k ?? 1;
  check(Number.isInteger(k) && k >= 1, `CD-k needs k ≥ 1, got ${k}`, 'use k: 1');
  const dr = options.dr !== undefined && options.dr.lambda !== 0 ? options.dr : undefined;
  check(
    !dr || labels !== undefined,
    'generative DR needs the batch labels',
    'pass labels to cdStep',
  );
  const persistent = chain !== undefined;
  const lr = options.lr;
  const result: CdStepResult = {};
  tf.tidy(() => {
    const preActivation = rbm.hiddenPreActivation(v);
    const positive = tf.sigmoid(preActivation) as tf.Tensor2D;
    let hidden = chain ?? (bernoulli(positive, options.uniform) as tf.Tensor2D);
    let visible = v;
    let negative = positive;
    for (let step = 1; step <= k; step++) {
      visible = bernoulli(rbm.visibleProbabilities(hidden), options.uniform) as tf.Tensor2D;
      negative = rbm.hiddenProbabilities(visible);
      if (step < k || persistent) hidden = bernoulli(negative, options.uniform) as tf.Tensor2D;
    }
    const n = v.shape[0];
    const m = visible.shape[0];
    let positiveStep = tf.mul(positive, lr / n);
    let hiddenStep = tf.sub(tf.mean(positive, 0), tf.mean(negative, 0));
    if (dr) {
      const { value, grad } = drPreActivationGradient(
        preActivation,
        labels as ArrayLike<number>,
        dr,
        options.rng,
      );
      positiveStep = tf.sub(positiveStep, tf.mul(grad, lr * dr.lambda));
      hiddenStep = tf.sub(hiddenStep, tf.mul(tf.sum(grad, 0), dr.lambda));
      result.drPenalty = tf.keep(value);
    }
    const weightStep = tf.matMul(
      tf.concat([v, visible], 0),
      tf.concat([positiveStep, tf.mul(negative, -lr / m)], 0),
      true,
      false,
    );
    const visibleStep = tf.sub(tf.mean(v, 0), tf.mean(visible, 0));
    rbm.weights.assign(tf.add(rbm.weights, weightStep));
    rbm.visibleBias.assign(tf.add(rbm.visibleBias, tf.mul(lr, visibleStep)));
    rbm.hiddenBias.assign(tf.add(rbm.hiddenBias, tf.mul(lr, hiddenStep)));
    if (persistent) result.chainEnd = tf.keep(hidden);
  });
  return result;
}

/** Options of {@link trainRbm}. */
export interface TrainRbmOptions {
  hidden: number;
  epochs: number;
  batchSize: number;
  /** Learning rate ε (Hinton's guide: 0.1 for binary units; default 0.1). */
  lr?: number;
  /** Gibbs steps (default 1). */
  k?: number;
  /** Persistent CD (default false). */
  persistent?: boolean;
  /** Generative DR. */
  dr?: GenerativeDrOptions;
  /** Seeds the initial weights, the shuffling, the Bernoulli draws and the pair cap. */
  rng: Random;
  /** Overrides the Bernoulli draws' uniform numbers (tests). */
  uniform?: UniformSource;
  /** Initial weight scale (default 0.01). */
  initScale?: number;
  /** Samples the epoch metrics are computed on (default 1000). */
  metricSamples?: number;
  /** Called after every epoch. */
  onEpoch?(metrics: RbmEpochMetrics): void;
}

/** The numbers of one RBM epoch. */
export interface RbmEpochMetrics {
  epoch: number;
  /** Mean reconstruction error on the metric samples. */
  reconstructionError: number;
  /** Mean free energy on the metric samples. */
  freeEnergy: number;
  /** Mean DR penalty over the epoch's batches (0 without DR). */
  drPenalty: number;
  seconds: number;
}

/** The rows of `data` as a `[n, features]` tensor. */
export function visibleMatrix(data: Dataset, indices: ArrayLike<number>): tf.Tensor2D {
  return tf.tensor2d(selectSamples(data, indices).x, [indices.length, sampleLength(data)]);
}

/** Trains a new RBM on `data` (values in [0, 1], used as Bernoulli means) with CD-k or PCD. */
export function trainRbm(
  data: Dataset,
  options: TrainRbmOptions,
): { rbm: Rbm; history: RbmEpochMetrics[] } {
  check(
    !options.dr || DIVERGENCES.includes(options.dr.divergence ?? 'bhattacharyya'),
    `unknown divergence "${options.dr?.divergence}"`,
    `use one of ${DIVERGENCES.join(', ')}`,
  );
  const rbm = Rbm.random(sampleLength(data), options.hidden, options.rng, options.initScale);
  const cd: CdOptions = {
    k: options.k,
    lr: options.lr ?? 0.1,
    uniform: options.uniform ?? uniformFrom(options.rng),
    dr: options.dr,
    rng: options.rng,
  };
  const metricIndices = Int32Array.from(
    { length: Math.min(options.metricSamples ?? 1000, datasetSize(data)) },
    (_, i) => i,
  );
  const history: RbmEpochMetrics[] = [];
  let chain: tf.Tensor2D | undefined;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    // Summed on the device and read once per epoch: no read-back inside the batch loop.
    let penaltySum: tf.Scalar = tf.scalar(0);
    const batches = batchIndices(datasetSize(data), options.batchSize, options.rng);
    for (const indices of batches) {
      const v = visibleMatrix(data, indices);
      chain ??= options.persistent
        ? tf.tidy(() => bernoulli(rbm.hiddenProbabilities(v), cd.uniform) as tf.Tensor2D)
        : undefined;
      const result = cdStep(
        rbm,
        v,
        cd,
        Int32Array.from(indices, (i) => data.labels[i]),
        chain,
      );
      if (result.chainEnd) {
        chain?.dispose();
        chain = result.chainEnd;
      }
      if (result.drPenalty) {
        const previous = penaltySum;
        penaltySum = tf.add(previous, result.drPenalty);
        tf.dispose([previous, result.drPenalty]);
      }
      v.dispose();
    }
    const v = visibleMatrix(data, metricIndices);
    const [reconstructionError, freeEnergy] = tf.tidy(() =>
      tf.stack([rbm.reconstructionError(v), rbm.freeEnergy(v)]).dataSync(),
    );
    v.dispose();
    const drPenalty = penaltySum.dataSync()[0] / batches.length;
    penaltySum.dispose();
    const metrics = {
      epoch,
      reconstructionError,
      freeEnergy,
      drPenalty,
      seconds: (performance.now() - started) / 1000,
    };
    history.push(metrics);
    options.onEpoch?.(metrics);
  }
  chain?.dispose();
  return { rbm, history };
}
