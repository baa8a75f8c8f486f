/**
 * Activation statistics as a monitor (never part of the loss): per site the mean activation,
 * the mean over units of the per-unit batch variance, and the sliced Wasserstein-1 distance
 * between the activations and as many samples of N(0, I):
 *
 *   SW1 = (1/s) Σ_k W1({⟨θ_k, h_i⟩}_i, {⟨θ_k, z_i⟩}_i),  z_i ~ N(0, I_d),
 *   W1 of two equal-size 1-D samples = mean |sorted a − sorted b|.
 *
 * Matching N(0, I) means mean → 0, variance → 1 and SW1 → its sampling floor (two samples of
 * the same distribution still differ by O(1/√n)). The projections are sorted in JavaScript:
 * `tf.topk` has no gradient, and a monitor needs none.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../core/random.js';
import type { Monitor, MonitorFactory, TermContext } from '../train/term.js';
import {
  ActivationSelector,
  selectionOf,
  selectionOptions,
  type ActivationSelection,
} from '../train/sites.js';
import { wasserstein1Empirical, wasserstein1ToNormal } from '../analysis/stats.js';

/** Options of {@link activationStats}. */
export interface ActivationStatsOptions extends ActivationSelection {
  /** Random directions for the sliced W1 (default 64). */
  slices?: number;
  /**
   * Seed of the monitor's own generator (default 0). The monitor never draws from the run's
   * generator, so switching monitoring on does not change training.
   */
  seed?: number;
  /** Monitor name, prefixing the metrics (default `activations`). */
  name?: string;
}

/**
 * Sliced W1 between the rows of `a` and of `b` (both `[n, d]`) along the columns of
 * `directions` (`[d, s]`, unit vectors): the mean over directions of the 1-D W1 of the sorted
 * projections.
 */
export function slicedWasserstein1(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  directions: tf.Tensor2D,
): number {
  const [n] = a.shape;
  const slices = directions.shape[1];
  const [pa, pb] = tf.tidy(() => [
    tf.transpose(tf.matMul(a, directions)),
    tf.transpose(tf.matMul(b, directions)),
  ]);
  const va = pa.dataSync();
  const vb = pb.dataSync();
  tf.dispose([pa, pb]);
  let total = 0;
  for (let k = 0; k < slices; k++)
    total += wasserstein1Empirical(
      va.subarray(k * n, (k + 1) * n),
      vb.subarray(k * n, (k + 1) * n),
    );
  return total / slices;
}

/**
 * Sliced W1 between the rows of `activations` and the distribution N(0, I) itself (exact 1-D
 * W1 to N(0, 1) per direction, see gaussian.ts) along given unit `directions`. PER on the same
 * directions bounds it from above (Corollary 2).
 */
export function slicedWasserstein1ToNormal(
  activations: tf.Tensor2D,
  directions: tf.Tensor2D,
): number {
  const [n] = activations.shape;
  const projected = tf.tidy(() => tf.transpose(tf.matMul(activations, directions)));
  const values = projected.dataSync();
  projected.dispose();
  let total = 0;
  for (let k = 0; k < directions.shape[1]; k++)
    total += wasserstein1ToNormal(values.subarray(k * n, (k + 1) * n));
  return total / directions.shape[1];
}

/** The monitor returned by {@link activationStats}. */
export class ActivationStatsMonitor implements Monitor {
  readonly name: string;
  readonly slices: number;
  readonly seed: number;
  private readonly selector: ActivationSelector;
  private readonly rng: Random;

  constructor(options: ActivationStatsOptions = {}) {
    this.name = options.name ?? 'activations';
    this.slices = options.slices ?? 64;
    this.seed = options.seed ?? 0;
    this.selector = new ActivationSelector(options);
    this.rng = new Random(`activations:${this.seed}`);
  }

  /** `site/mean`, `site/var` and `site/sw1` for every site. */
  compute({ trace, model, step }: TermContext): Record<string, number> {
    const out: Record<string, number> = {};
    // A stream per step, derived from the seed alone: a run resumed from a checkpoint draws
    // the same directions as an uninterrupted one (a stream carried across epochs would restart).
    const rng = this.rng.derive(`step ${step}`);
    tf.tidy(() => {
      for (const { site, samples } of this.selector.activations(trace, model)) {
        const [rows, units] = samples.shape;
        const { mean, variance } = tf.moments(samples, 0);
        const [meanValue, varianceValue] = tf.stack([tf.mean(mean), tf.mean(variance)]).dataSync();
        const directions = rng.unitDirections(units, this.slices);
        const gaussian = rng.fastNormalTensor([rows, units]);
        out[`${site.name}/mean`] = meanValue;
        out[`${site.name}/var`] = varianceValue;
        out[`${site.name}/sw1`] = slicedWasserstein1(samples, gaussian, directions);
      }
    });
    return out;
  }
}

/** `activationStats({slices: 64})`: per-layer mean, variance and sliced W1 to N(0, I). */
export function activationStats(options: ActivationStatsOptions = {}): ActivationStatsMonitor {
  return new ActivationStatsMonitor(options);
}

/** `--track activations[:pre][:channels][:slices=64][:seed=0][@layers]`. */
export const activationStatsFactory: MonitorFactory = {
  schema: {
    name: 'activations',
    summary: 'per-layer activation mean, variance and sliced W1 to N(0, I)',
    options: {
      ...selectionOptions(),
      slices: { type: 'number', integer: true, min: 1, default: 64 },
      seed: { type: 'number', integer: true, min: 0, default: 0 },
    },
    targets: { name: 'layers' },
  },
  create: (spec) =>
    activationStats({
      slices: spec.options.slices as number,
      seed: spec.options.seed as number,
      ...selectionOf(spec),
    }),
};
