/**
 * The racecar reverse pass (Xie & Thuerey, arXiv 2007.00024, Eq. 2; official code tum-pbs/racecar).
 *
 * Forward: d_{m+1} = f_m(BN_m(W_m d_m + b_m)), d_1 = input. The reverse pass starts from the
 * network output d'_{n+1} = d_{n+1} and is chained — each step uses the previous *reverse* value:
 *
 *   d'_m = f_{m-1}(BN_{m-1}(W_mᵀ(d'_{m+1} − b_m)))     (hidden states, m = n … 2)
 *   d'_1 = W_1ᵀ(d'_2 − b_1)                            (the input: no activation)
 *
 * The walk goes over the layers from the last to the first:
 * - layers after the last weight layer are already in d_{n+1} (its fused softmax included: the
 *   official code reverses from the softmax output): structural ones are reversed, shared ones
 *   skipped;
 * - a weight layer m gives Aᵀ(d' − b) (reverse-ops.ts);
 * - a structural layer (Flatten, pooling, Dropout) gives its adjoint;
 * - the shared layers that follow weight layer m−1 (its fused activation, then BN / Activation
 *   layers, a contiguous run) are applied *forwards*, in forward order, to the reverse value —
 *   that is f_{m-1}(BN_{m-1}(·)) — and the result is one matched state: paired with the forward
 *   value at the end of that run. For an MLP this state is exactly d_m; in a conv net with pooling
 *   the state sits before the pool (the reverse value there is un-pooled first), which is where
 *   the shared layers live;
 * - shared layers before the first weight layer are skipped: d'_1 gets no activation.
 *
 * `layerwise` mode (an ablation, not the paper's method): after every matched state the chain is
 * cut and the walk continues from the *forward* value, so each weight layer reconstructs its
 * input from its own forward output.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import {
  forwardTrace,
  sequentialLayers,
  type ForwardTrace,
  type LayerTrace,
} from '../train/trace.js';
import {
  reverseLayer,
  reverseRole,
  sharedFusedActivation,
  sharedLayer,
  type UnpoolMode,
} from './reverse-ops.js';

/** One matched pair of the reverse pass. */
export interface ReverseState {
  /** Where the state sits: the name of the layer whose output it is, or `input` for d_1. */
  readonly name: string;
  /** The weight layer that consumes this state in the forward pass (reconstructs it in reverse). */
  readonly weightLayer: string;
  /** d_m, from the forward trace. */
  readonly forward: tf.Tensor;
  /** d'_m, from the reverse pass. */
  readonly reverse: tf.Tensor;
}

/** Options of {@link reversePass}. */
export interface ReversePassOptions {
  /** `full` (default): the chained pass of the paper; `layerwise`: each layer from its forward output. */
  readonly mode?: 'full' | 'layerwise';
  /** How MaxPooling2D is reversed (default `argmax`). */
  readonly unpool?: UnpoolMode;
  /**
   * Where the chain starts: `output` (default, as the official code: the softmax output when the
   * last layer has a fused softmax) or `logits` (the value before that softmax; for a linear
   * model d'_1 = WᵀW x, the setting of the paper's SVD analysis).
   */
  readonly start?: 'output' | 'logits';
}

/** The matched states, from the deepest to the input (the last one is d'_1 / d_1). */
export interface ReversePassResult {
  readonly states: readonly ReverseState[];
}

/** Checks that every layer of `model` has a reverse operator (ReglabError naming the first that has not). */
export function checkReversible(model: tfl.LayersModel): void {
  const layers = sequentialLayers(model);
  layers.forEach(reverseRole);
  if (!layers.some((layer) => reverseRole(layer) === 'weight')) {
    throw new ReglabError(
      `model ${model.name} has no Dense, Conv2D or ResidualDense layer`,
      'the reverse pass needs at least one weight layer',
    );
  }
}

/**
 * Runs the reverse pass on a forward trace (see the file comment). The returned tensors belong
 * to the caller's scope (call inside `tf.tidy` or a gradient scope).
 */
export function reversePass(
  trace: ForwardTrace,
  options: ReversePassOptions = {},
): ReversePassResult {
  const layers = trace.layers;
  const roles = layers.map((entry) => reverseRole(entry.layer));
  const weightIndices = roles.flatMap((role, i) => (role === 'weight' ? [i] : []));
  if (weightIndices.length === 0) {
    throw new ReglabError(
      'the model has no Dense, Conv2D or ResidualDense layer',
      'the reverse pass needs at least one weight layer',
    );
  }
  const lastWeight = weightIndices[weightIndices.length - 1];
  const consumer = (position: number) =>
    layers[weightIndices.find((w) => w > position) ?? lastWeight].name;
  const states: ReverseState[] = [];
  const matchState = (
    name: string,
    position: number,
    forward: tf.Tensor,
    reverse: tf.Tensor,
  ): tf.Tensor => {
    states.push({ name, weightLayer: consumer(position), forward, reverse });
    return options.mode === 'layerwise' ? forward : reverse;
  };

  let reverse = options.start === 'logits' ? trace.logits : trace.output;
  for (let i = layers.length - 1; i >= 0; i--) {
    const entry = layers[i];
    const role = roles[i];
    if (role === 'shared') {
      // A run of shared layers [start..i]: skipped after the last weight layer (already in the
      // output) and before the first one (d'_1 has no activation); else applied forwards.
      let start = i;
      while (start > 0 && roles[start - 1] === 'shared') start--;
      const owner = start > 0 && roles[start - 1] === 'weight' ? layers[start - 1] : undefined;
      if (i > lastWeight || start < weightIndices[0]) {
        i = start; // the loop's i-- moves on to the layer before the run
        continue;
      }
      reverse = applySharedRun(layers.slice(start, i + 1), owner, reverse, trace.training);
      reverse = matchState(entry.name, i, entry.output, reverse);
      i = start;
      if (owner) {
        reverse = reverseLayer(owner.layer, reverse, context(owner, options));
        i = start - 1; // the owner is done too
      }
      continue;
    }
    if (role === 'weight' && i < lastWeight) {
      // No shared layer follows: the state is this layer's output (its fused activation applied).
      reverse = matchState(
        entry.name,
        i,
        entry.output,
        sharedFusedActivation(entry.layer, reverse),
      );
    }
    reverse = reverseLayer(entry.layer, reverse, context(entry, options));
  }
  states.push({
    name: 'input',
    weightLayer: layers[weightIndices[0]].name,
    forward: trace.input,
    reverse: tf.reshape(reverse, trace.input.shape),
  });
  return { states };
}

function context(entry: LayerTrace, options: ReversePassOptions) {
  return { forwardInput: entry.input, forwardOutput: entry.output, unpool: options.unpool };
}

/** f(BN(·)): the owner's fused activation, then the run's layers, in forward order. */
function applySharedRun(
  run: readonly LayerTrace[],
  owner: LayerTrace | undefined,
  x: tf.Tensor,
  training: boolean,
): tf.Tensor {
  let value = owner ? sharedFusedActivation(owner.layer, x) : x;
  for (const entry of run) value = sharedLayer(entry.layer, value, training);
  return value;
}

/** Options of {@link reconstruct}. */
export interface ReconstructOptions extends ReversePassOptions {
  /** Run the forward (and so the shared BN) in training mode (default false: moving statistics). */
  readonly training?: boolean;
}

/**
 * The reverse pass from the model's own output back to the input: d'_1, shaped like `x`
 * (explainability: what the network "sees" in x). Returns a new tensor owned by the caller.
 */
export function reconstruct(
  model: tfl.LayersModel,
  x: tf.Tensor,
  options: ReconstructOptions = {},
): tf.Tensor {
  return tf.tidy(() => {
    const trace = forwardTrace(model, x, options.training ?? false);
    const { states } = reversePass(trace, options);
    return states[states.length - 1].reverse;
  });
}
