/**
 * The racecar regularization term (Xie & Thuerey, arXiv 2007.00024, Eq. 3):
 *
 *   L_RR = Σ_m λ_m · ½‖d'_m − d_m‖²
 *
 * over the matched states of the reverse pass (reverse-pass.ts), trained jointly with the task
 * loss (the trainer multiplies this term by its weight λ).
 *
 * Reduction. The official code computes `reduce_mean(tf.nn.l2_loss(d' − d))`; `l2_loss` already
 * returns the scalar ½·Σ over batch *and* features, so the mean is a no-op and the penalty is
 * ½·sum — `reduction: 'sum'` (default) reproduces it, and the paper's λ (1e-5, 1e-6) apply
 * unchanged. `reduction: 'mean'` divides each state's ½·sum by its element count B·D_m, so the
 * value no longer grows with the batch size or the layer width: λ_mean ≈ λ_sum · B · D_m
 * (e.g. batch 100 and a 784-pixel input: λ_sum 1e-6 ↔ λ_mean ≈ 0.08 for that state).
 *
 * Both sides get gradients (as in the official code: d_m is not held fixed), so the term also
 * pulls the forward activations towards what the reverse pass can reconstruct.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import { modelGraph } from '../../models/graph.js';
import type { RegularizationTerm, TermContext } from '../../train/term.js';
import type { UnpoolMode } from './reverse-ops.js';
import {
  checkReversible,
  reversePass,
  reverseStart,
  type MatchedStates,
  type ReversePassOptions,
  type ReverseStart,
  type ReverseState,
} from './reverse-pass.js';

/** How the squared reconstruction errors are reduced (see the file comment). */
export type RacecarReduction = 'sum' | 'mean';

/** Options of {@link racecar}. */
export interface RacecarOptions {
  /** λ, the term's weight in the total loss. */
  lambda: number;
  /** `sum` (default, the official ½·sum) or `mean` (½·mean per state). */
  reduction?: RacecarReduction;
  /** `full` (default): the paper's chained reverse pass; `layerwise`: the ablation. */
  mode?: 'full' | 'layerwise';
  /**
   * Which states the reverse pass matches in a graph: `blocks` (default, every state, inside
   * residual branches too) or `units` (only the trunk: residual-unit outputs, the stem, the
   * input). The same for a Sequential model. See reverse-pass.ts.
   */
  states?: MatchedStates;
  /**
   * Only these states (among those `states` keeps): a state matches by its position name
   * (`act_1`, `input`) or by the weight layer that reconstructs it (`dense_2` reconstructs its
   * input). Default: all.
   */
  layers?: readonly string[];
  /** Per-state factors λ_m / λ by the same names (default 1). */
  layerWeights?: Readonly<Record<string, number>>;
  /** How MaxPooling2D is reversed (default `argmax`). */
  unpool?: UnpoolMode;
  /**
   * Where the reverse chain starts: `pre-softmax` (default, as the official code) or
   * `probabilities` (the softmax output; our variant). See {@link ReversePassOptions.start}.
   */
  start?: ReversePassOptions['start'];
}

function matches(state: ReverseState, name: string): boolean {
  return state.name === name || state.weightLayer === name;
}

/**
 * Σ_m w_m · ½‖d'_m − d_m‖² (sum) or Σ_m w_m · ½ mean((d'_m − d_m)²) (mean) over `states`.
 * `factor(state)` gives w_m.
 */
export function reconstructionLoss(
  states: readonly ReverseState[],
  reduction: RacecarReduction = 'sum',
  factor: (state: ReverseState) => number = () => 1,
): tf.Scalar {
  return tf.tidy(() => {
    const perState = states.map((state) => {
      const squared = tf.squaredDifference(state.reverse, state.forward); // one kernel, not sub + square
      const reduced = reduction === 'sum' ? tf.sum(squared) : tf.mean(squared);
      return tf.mul(reduced, 0.5 * factor(state));
    });
    return tf.addN(perState) as tf.Scalar;
  });
}

/** The racecar term; see the file comment and {@link racecar}. */
export class RacecarTerm implements RegularizationTerm {
  readonly name = 'racecar';
  readonly weight: number;
  readonly options: Readonly<
    Required<Pick<RacecarOptions, 'reduction' | 'mode' | 'unpool' | 'states'>>
  > &
    RacecarOptions & { readonly start: ReverseStart };

  constructor(options: RacecarOptions) {
    if (!Number.isFinite(options.lambda) || options.lambda < 0) {
      throw new ReglabError(
        `racecar lambda ${options.lambda} is not a non-negative number`,
        'e.g. racecar({lambda: 1e-5})',
      );
    }
    this.weight = options.lambda;
    this.options = {
      reduction: 'sum',
      mode: 'full',
      unpool: 'argmax',
      states: 'blocks',
      ...options,
      start: reverseStart(options.start),
    };
  }

  prepare(model: tfl.LayersModel): void {
    checkReversible(model);
    const known = new Set(['input', ...modelGraph(model).nodes.map((node) => node.name)]);
    const named = [...(this.options.layers ?? []), ...Object.keys(this.options.layerWeights ?? {})];
    const unknown = named.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new ReglabError(
        `racecar: no layer named ${unknown.join(', ')}`,
        `choose from ${[...known].join(', ')}`,
      );
    }
  }

  /** The matched states this term penalises. */
  selectStates(states: readonly ReverseState[]): ReverseState[] {
    const wanted = this.options.layers;
    if (!wanted) return [...states];
    const selected = states.filter((state) => wanted.some((name) => matches(state, name)));
    if (selected.length === 0) {
      throw new ReglabError(
        `racecar: none of ${wanted.join(', ')} is a matched state`,
        `the states are ${states.map((s) => `${s.name} (input of ${s.weightLayer})`).join(', ')}`,
      );
    }
    return selected;
  }

  compute({ trace }: TermContext): tf.Scalar {
    const { states } = reversePass(trace, this.options);
    const weights = this.options.layerWeights ?? {};
    const factor = (state: ReverseState) => weights[state.name] ?? weights[state.weightLayer] ?? 1;
    return reconstructionLoss(this.selectStates(states), this.options.reduction, factor);
  }
}

/** The racecar term: λ Σ_m ½‖d'_m − d_m‖² (see {@link RacecarOptions}). */
export function racecar(options: RacecarOptions): RacecarTerm {
  return new RacecarTerm(options);
}
