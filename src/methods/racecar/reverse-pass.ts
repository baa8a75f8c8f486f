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
 * The walk goes over the nodes of the model graph (models/graph.ts) in reverse topological
 * order — for a Sequential model, from the last layer to the first. Each node receives the
 * reverse values its consumers send it and **sums** them (a value that fans out in the forward
 * pass, like the input of a residual unit, feeds its skip and its branch; the adjoint of a
 * copy is a sum), then (reverse-plan.ts has the runs, owners and the skipped parts):
 * - nodes after the last weight layer are already in d_{n+1} (in the peak script `fcout2`
 *   is `relu(bn(·))` and the reverse subtracts the bias from it directly): structural ones are
 *   reversed, shared ones skipped; with `pre-softmax` the walk begins at the node that produced
 *   the logits, so a final softmax layer is not part of it;
 * - a weight node m gives Aᵀ(d' − b) (reverse-ops.ts);
 * - a structural node (Flatten, pooling, Dropout, …) gives its adjoint; a merge (Add,
 *   Concatenate, …) the adjoint of the merge, one value per input (reverse-ops.ts `reverseMerge`);
 * - a run of shared nodes that follows weight node m−1 (its fused activation, then BN /
 *   Activation layers) is applied *forwards*, in forward order, to the reverse value — that is
 *   f_{m-1}(BN_{m-1}(·)) — and the result is one matched state: paired with the forward value at
 *   the end of the run. For an MLP this state is exactly d_m; in a conv net with pooling the state
 *   sits before the pool (the reverse value there is un-pooled first), which is where the shared
 *   layers live; in a ResNet the runs are the blocks' `bn → relu`, a branch's last `bn` and the
 *   `relu` after each `add`;
 * - a weight node followed by no run (its output feeds a pool, a merge, or several consumers)
 *   matches its own output, its fused activation applied;
 * - shared runs before the first weight layer are skipped: d'_1 gets no activation.
 *
 * Which states are matched (`states`): `blocks` (default) every state the walk forms — every
 * block end, in a ResNet also inside the residual branches; `units` only the states on the trunk
 * (every path from the input to the output passes through them: the stem, each residual unit's
 * output, the input d_1). For a Sequential model both are every state. The walk is the same;
 * only the penalised set differs.
 *
 * `layerwise` mode (an ablation, not the paper's method): after every matched state the chain is
 * cut and the walk continues from the *forward* value, so each weight layer reconstructs its
 * input from its own forward output.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import { INPUT_NODE, modelGraph, type ModelGraph } from '../../models/graph.js';
import { forwardTrace, type ForwardTrace, type LayerTrace } from '../../train/trace.js';
import {
  reverseLayer,
  reverseMerge,
  sharedFusedActivation,
  sharedLayer,
  type UnpoolMode,
} from './reverse-ops.js';
import { reversePlan, type ReversePlan } from './reverse-plan.js';

/** One matched pair of the reverse pass. */
export interface ReverseState {
  /** Where the state sits: the name of the node whose output it is, or `input` for d_1. */
  readonly name: string;
  /**
   * The weight layer that consumes this state in the forward pass (reconstructs it in
   * reverse); in a graph, the first one downstream in topological order.
   */
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
  /** Which states are matched: `blocks` (default, every state) or `units` (the trunk's). */
  readonly states?: MatchedStates;
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

/** Which states the reverse pass matches (see the file comment). */
export type MatchedStates = 'blocks' | 'units';
/** Every value of {@link MatchedStates}, the default first. */
export const MATCHED_STATES: readonly MatchedStates[] = ['blocks', 'units'];

const plans = new WeakMap<ModelGraph, Map<string, ReversePlan>>();

/** The reverse plan of a graph from node `start` (computed once per graph and start). */
function planOf(graph: ModelGraph, start: string = graph.output): ReversePlan {
  let byStart = plans.get(graph);
  if (!byStart) {
    byStart = new Map();
    plans.set(graph, byStart);
  }
  let plan = byStart.get(start);
  if (!plan) {
    plan = reversePlan(graph, start);
    byStart.set(start, plan);
  }
  return plan;
}

/**
 * Checks that every node of `model` has a reverse operator (a ReglabError naming the first
 * that has not, listing the supported layers) and that there is a weight layer.
 */
export function checkReversible(model: tfl.LayersModel): void {
  if (!hasWeightLayer(planOf(modelGraph(model)))) throw noWeightLayer(`model ${model.name}`);
}

function hasWeightLayer(plan: ReversePlan): boolean {
  return [...plan.roles.values()].includes('weight');
}

function noWeightLayer(what: string): ReglabError {
  return new ReglabError(
    `${what} has no Dense, Conv2D or ResidualDense layer`,
    'the reverse pass needs at least one weight layer',
  );
}

/** Reverse values sent to each node, summed when a node has several consumers. */
class Contributions {
  private readonly sent = new Map<string, tf.Tensor[]>();

  send(name: string, value: tf.Tensor): void {
    this.sent.set(name, [...(this.sent.get(name) ?? []), value]);
  }

  /** The sum of what `name` received (undefined when nothing reached it). */
  total(name: string): tf.Tensor | undefined {
    const values = this.sent.get(name);
    if (!values) return undefined;
    return values.length === 1 ? values[0] : tf.addN(values);
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
  const fromProbabilities = reverseStart(options.start) === 'probabilities';
  const first = fromProbabilities ? trace.layers.length - 1 : trace.logitsIndex;
  const plan = first < 0 ? undefined : planOf(trace.graph, trace.layers[first].name);
  if (!plan || !hasWeightLayer(plan)) throw noWeightLayer('the model');
  const keep = (name: string) => options.states !== 'units' || plan.trunk.has(name);
  const states: ReverseState[] = [];
  const matchState = (entry: LayerTrace, reverse: tf.Tensor): tf.Tensor => {
    if (keep(entry.name))
      states.push({
        name: entry.name,
        weightLayer: plan.nextWeight.get(entry.name) as string,
        forward: entry.output,
        reverse,
      });
    return options.mode === 'layerwise' ? entry.output : reverse;
  };

  const sent = new Contributions();
  sent.send(trace.layers[first].name, fromProbabilities ? trace.output : trace.logits);
  for (let i = first; i >= 0; i--) {
    const entry = trace.layers[i];
    const reverse = sent.total(entry.name);
    if (!reverse) continue; // not upstream of the start (a final softmax), or inside a run
    const run = plan.runEndingAt.get(entry.name);
    switch (plan.roles.get(entry.name)) {
      case 'shared': {
        if (!run) continue; // inside a run: its end sends past it
        const start = run.nodes[0].inputs[0];
        if (!run.applied) {
          sent.send(start, reverse);
          continue;
        }
        const owner = run.owner && trace.layers[run.owner.index];
        const runEntries = run.nodes.map((node) => trace.layers[node.index]);
        const value = applySharedRun(runEntries, owner, reverse, trace.training);
        sent.send(start, matchState(entry, value));
        break;
      }
      case 'weight': {
        const own =
          plan.owners.has(entry.name) || !plan.beforeLastWeight.has(entry.name)
            ? reverse // its run matched the state already, or it is the last weight layer
            : matchState(entry, sharedFusedActivation(entry.layer, reverse));
        sent.send(entry.inputNames[0], reverseLayer(entry.layer, own, context(entry, options)));
        break;
      }
      case 'structural':
        sent.send(entry.inputNames[0], reverseLayer(entry.layer, reverse, context(entry, options)));
        break;
      case 'merge':
        reverseMerge(entry.layer, reverse, entry.inputs).forEach((value, k) =>
          sent.send(entry.inputNames[k], value),
        );
        break;
    }
  }
  const d1 = sent.total(INPUT_NODE);
  if (!d1)
    throw new ReglabError(
      'the reverse pass did not reach the model input',
      'the start value must depend on the input',
    );
  states.push({
    name: INPUT_NODE,
    weightLayer: plan.nextWeight.get(INPUT_NODE) as string,
    forward: trace.input,
    reverse: tf.reshape(d1, trace.input.shape),
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
