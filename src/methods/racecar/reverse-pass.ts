/**
 * The racecar reverse pass (Xie & Thuerey, arXiv 2007.00024, Eq. 2; official code tum-pbs/racecar).
 *
 * Forward: d_{m+1} = f_m(BN_m(W_m d_m + b_m)), d_1 = input. The reverse pass starts from the
 * network's last value before the softmax, d'_{n+1} = d_{n+1}, and is chained — each step uses
 * the previous *reverse* value:
 *
 *   d'_m = f_{m-1}(BN_{m-1}(W_mᵀ(d'_{m+1} − b_m)))     (hidden states, m = n … 2)
 *   d'_1 = W_1ᵀ(d'_2 − b_1)                            (the input: no activation)
 *
 * Where the chain starts (`start`). Both official scripts start from the value that feeds the
 * softmax; the softmax feeds only the loss. `SVD-example/mnist_training.py`:
 *
 *   fcout = tf.matmul(x, W_conv1) + b_conv1
 *   back_input = tf.matmul((fcout-b_conv1),tf.transpose(W_conv1))
 *   prediction = tf.reshape(tf.nn.softmax(fcout),[-1,CLASS_NUM])
 *
 * and `SVD-example/peak_training.py`:
 *
 *   fcout2 = tf.nn.relu(batch_norm(tf.matmul(fcout1, W_conv2) + b_conv2))
 *   fcout1_back = tf.nn.relu(batch_norm(tf.matmul((fcout2-b_conv2),tf.transpose(W_conv2)),reuse=True))
 *   prediction = tf.reshape(tf.nn.softmax(fcout2),[-1,CLASS_NUM])
 *
 * So the default, `start: 'pre-softmax'`, starts from `trace.logits` (the last layer's value
 * before its fused softmax, or the input of a final `Softmax` layer). `start: 'probabilities'`
 * (our variant, not the official one) starts from the softmax output instead.
 *
 * The walk goes over the layers from the last to the first:
 * - layers after the last weight layer are already in d_{n+1} (in the peak script `fcout2`
 *   is `relu(bn(·))` and the reverse subtracts the bias from it directly): structural ones are
 *   reversed, shared ones skipped; with `pre-softmax` the walk begins at the layer that produced
 *   the logits, so a final softmax layer is not part of it;
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
import { ReglabError } from '../../core/errors.js';
import { modelGraph } from '../../models/graph.js';
import { forwardTrace, type ForwardTrace, type LayerTrace } from '../../train/trace.js';
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
   * Where the chain starts: `pre-softmax` (default, as both official scripts: the last value
   * before the softmax; for a linear model d'_1 = WᵀW x, the setting of the paper's SVD
   * analysis) or `probabilities` (our variant: the softmax output). The old names `logits` and
   * `output` are accepted with a deprecation message ({@link reverseStart}).
   */
  readonly start?: ReverseStart | DeprecatedReverseStart;
}

/** Where the reverse chain starts (see {@link ReversePassOptions.start}). */
export type ReverseStart = 'pre-softmax' | 'probabilities';
/** The first wave's names: `logits` = `pre-softmax`, `output` = `probabilities`. */
export type DeprecatedReverseStart = 'logits' | 'output';

/** Every accepted spelling of `start`, the current ones first. */
export const REVERSE_STARTS = ['pre-softmax', 'probabilities', 'logits', 'output'] as const;

const START_ALIASES: Readonly<Record<DeprecatedReverseStart, ReverseStart>> = {
  logits: 'pre-softmax',
  output: 'probabilities',
};
const warnedAliases = new Set<string>();

/**
 * The current name of a `start` value (default `pre-softmax`); an old name prints a
 * deprecation message once per process, an unknown one is an error listing the choices.
 */
export function reverseStart(value: string | undefined): ReverseStart {
  if (value === undefined) return 'pre-softmax';
  if (value === 'pre-softmax' || value === 'probabilities') return value;
  if (value === 'logits' || value === 'output') {
    const current = START_ALIASES[value];
    if (!warnedAliases.has(value)) {
      warnedAliases.add(value);
      console.warn(`reglab: racecar start "${value}" is deprecated; write "${current}"`);
    }
    return current;
  }
  throw new ReglabError(
    `unknown racecar start "${value}"`,
    'use pre-softmax (default, as the official code) or probabilities',
  );
}

/** The matched states, from the deepest to the input (the last one is d'_1 / d_1). */
export interface ReversePassResult {
  readonly states: readonly ReverseState[];
}

/** Checks that every layer of `model` has a reverse operator (ReglabError naming the first that has not). */
export function checkReversible(model: tfl.LayersModel): void {
  const graph = modelGraph(model);
  if (!graph.isChain) {
    const branch = graph.nodes.find(
      (node, i) =>
        node.inputs.length !== 1 ||
        node.inputs[0] !== (i === 0 ? 'input' : graph.nodes[i - 1].name),
    );
    throw new ReglabError(
      `model ${model.name} is not a plain stack of layers (node ${branch?.name ?? '?'} has inputs ${branch?.inputs.join(', ')})`,
      'the racecar reverse pass runs on layer stacks; a residual block can be a ResidualDense layer',
    );
  }
  const layers = graph.nodes.map((node) => node.layer);
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

  const fromProbabilities = reverseStart(options.start) === 'probabilities';
  let reverse = fromProbabilities ? trace.output : trace.logits;
  const first = fromProbabilities ? layers.length - 1 : trace.logitsIndex;
  for (let i = first; i >= 0; i--) {
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
