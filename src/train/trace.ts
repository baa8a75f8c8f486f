/**
 * The forward trace: any tfjs-layers model (Sequential, functional with branches and merges,
 * nested models, layers used more than once; models/graph.ts) run node by node in
 * topological order, keeping every node's inputs and output (and, for layers with a fused
 * non-linear activation, the value before it).
 *
 * Regularization terms read the trace instead of re-running the model, so data- and
 * label-dependent penalties (racecar, PER, DR) see exactly the tensors the task loss saw —
 * inside the same `tf.variableGrads` scope, so their gradients flow.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { fusedActivationName, isSoftmaxLayer, layerRole, type Site } from '../models/anatomy.js';
import { INPUT_NODE, modelGraph, type ModelGraph } from '../models/graph.js';
import type { RecurrentState } from './recurrent-state.js';

/** One node's part of a forward pass (a node is one call of a layer, models/graph.ts). */
export interface LayerTrace {
  /** Node name: the layer name, e.g. `dense_1` (`name#2` for a second call, `outer/inner` nested). */
  readonly name: string;
  /** TF.js class name, e.g. `Dense`, `Conv2D`, `Add`. */
  readonly className: string;
  readonly layer: tfl.layers.Layer;
  /** Position in {@link ForwardTrace.layers} (topological order). */
  readonly index: number;
  /** The nodes the inputs come from (`input` for the model input). */
  readonly inputNames: readonly string[];
  /** Every input, in the layer's order (one for most layers, several for merges). */
  readonly inputs: readonly tf.Tensor[];
  /** The first input (the only one for single-input layers). */
  readonly input: tf.Tensor;
  /**
   * The value before the layer's own activation, when the layer has a fused non-linear
   * activation (`dense({activation: 'relu'})`); absent otherwise.
   */
  readonly preActivation?: tf.Tensor;
  readonly output: tf.Tensor;
}
/** A whole forward pass. */
export interface ForwardTrace {
  readonly input: tf.Tensor;
  /** Every node, in topological order (the output node last). */
  readonly layers: readonly LayerTrace[];
  /** The model's graph (names, consumers). */
  readonly graph: ModelGraph;
  /** The model output (probabilities when the model ends in a softmax). */
  readonly output: tf.Tensor;
  /**
   * The value that feeds the model's final softmax — the last layer's value before its fused
   * softmax activation, or the input of a last `Softmax` / `Activation('softmax')` layer — for a
   * numerically stable cross-entropy and for racecar's reverse pass. The output itself when the
   * model ends in no softmax (it then already produces logits).
   */
  readonly logits: tf.Tensor;
  /**
   * Index in {@link layers} of the entry that produced {@link logits}: the last entry when its
   * fused softmax was split off (or the model ends in no softmax), the input of a final
   * softmax layer otherwise; −1 when the logits are the input itself.
   */
  readonly logitsIndex: number;
  /** Whether {@link output} is a softmax of {@link logits} (fused or a separate layer). */
  readonly endsInSoftmax: boolean;
  /** Whether the pass ran in training mode (batch norm statistics, dropout). */
  readonly training: boolean;
}

type ActivationObject = { apply(x: tf.Tensor): tf.Tensor; getClassName(): string };
type LayerWithActivation = tfl.layers.Layer & { activation?: ActivationObject | null };

let linearActivation: ActivationObject | undefined;
function linear(): ActivationObject {
  // tfjs-layers does not export its activation objects; an Activation layer holds one.
  linearActivation ??= (
    tfl.layers.activation({ activation: 'linear' }) as unknown as LayerWithActivation
  ).activation as ActivationObject;
  return linearActivation;
}

type RecurrentLayer = tfl.layers.Layer & { returnState: boolean; stateful: boolean };

/**
 * Runs a recurrent node from the state `state` holds for it and records the state it ends in
 * (train/recurrent-state.ts); without `state`, from zeros as tfjs-layers does.
 */
function applyRecurrent(
  layer: tfl.layers.Layer,
  input: tf.Tensor,
  training: boolean,
  name: string,
  state?: RecurrentState,
): tf.Tensor {
  const recurrent = layer as RecurrentLayer;
  if (recurrent.stateful) {
    throw new ReglabError(
      `layer ${name} is stateful`,
      'build it with stateful: false; the trainer carries the state between batches of a token-stream data set itself',
    );
  }
  if (!state) return layer.apply(input, { training }) as tf.Tensor;
  const initialState = state.initial(name);
  const returnState = recurrent.returnState;
  recurrent.returnState = true;
  try {
    const [output, ...final] = layer.apply(
      input,
      initialState ? { training, initialState } : { training },
    ) as tf.Tensor[];
    state.record(name, final);
    return output;
  } finally {
    recurrent.returnState = returnState;
  }
}

/** Applies one layer, splitting off its fused activation when it has a non-linear one. */
function applyLayer(
  layer: tfl.layers.Layer,
  inputs: readonly tf.Tensor[],
  training: boolean,
): { output: tf.Tensor; preActivation?: tf.Tensor } {
  const input = inputs.length === 1 ? inputs[0] : [...inputs];
  const withActivation = layer as LayerWithActivation;
  const activation = withActivation.activation;
  if (
    !activation ||
    activation.getClassName() === 'linear' ||
    layer.getClassName() === 'Activation'
  ) {
    return { output: layer.apply(input, { training }) as tf.Tensor };
  }
  withActivation.activation = linear();
  try {
    const preActivation = layer.apply(input, { training }) as tf.Tensor;
    return { preActivation, output: activation.apply(preActivation) };
  } finally {
    withActivation.activation = activation;
  }
}

/**
 * Runs `model` on `x` node by node and returns the trace. Call it inside `tf.tidy` or a
 * gradient scope: the trace's tensors belong to that scope. With `state`, recurrent layers
 * (LSTM, GRU, SimpleRNN) start from the state it holds and record the one they end in
 * (truncated BPTT over a token stream, train/recurrent-state.ts); without it, from zeros.
 */
export function forwardTrace(
  model: tfl.LayersModel,
  x: tf.Tensor,
  training: boolean,
  state?: RecurrentState,
): ForwardTrace {
  const graph = modelGraph(model);
  const values = new Map<string, tf.Tensor>([[INPUT_NODE, x]]);
  const layers: LayerTrace[] = graph.nodes.map((node) => {
    const inputs = node.inputs.map((name) => values.get(name) as tf.Tensor);
    const { preActivation, output } =
      layerRole(node.layer) === 'recurrent'
        ? { output: applyRecurrent(node.layer, inputs[0], training, node.name, state) }
        : applyLayer(node.layer, inputs, training);
    values.set(node.name, output);
    return {
      name: node.name,
      className: node.className,
      layer: node.layer,
      index: node.index,
      inputNames: node.inputs,
      inputs,
      input: inputs[0],
      preActivation,
      output,
    };
  });
  const output = values.get(graph.output) as tf.Tensor;
  return { input: x, layers, graph, output, training, ...softmaxHead(x, layers) };
}

/** Where the final softmax is, and the logits it consumes (see {@link ForwardTrace.logits}). */
function softmaxHead(
  x: tf.Tensor,
  layers: readonly LayerTrace[],
): Pick<ForwardTrace, 'logits' | 'logitsIndex' | 'endsInSoftmax'> {
  const lastIndex = layers.length - 1;
  const last = layers[lastIndex];
  if (last === undefined) return { logits: x, logitsIndex: -1, endsInSoftmax: false };
  if (isSoftmaxLayer(last.layer)) {
    const logitsIndex = layers.findIndex((entry) => entry.name === last.inputNames[0]);
    return { logits: last.input, logitsIndex, endsInSoftmax: true };
  }
  if (fusedActivationName(last.layer) === 'softmax' && last.preActivation) {
    return { logits: last.preActivation, logitsIndex: lastIndex, endsInSoftmax: true };
  }
  return { logits: last.output, logitsIndex: lastIndex, endsInSoftmax: false };
}

/** The trace entry of layer `name`, with an error listing the layer names when absent. */
export function traceLayer(trace: ForwardTrace, name: string): LayerTrace {
  const found = trace.layers.find((entry) => entry.name === name);
  if (!found) {
    throw new ReglabError(
      `no layer named "${name}" in the model`,
      `choose one of: ${trace.layers.map((entry) => entry.name).join(', ')}`,
    );
  }
  return found;
}

/** The tensor of a site (models/anatomy.ts) in the trace. */
export function siteTensor(trace: ForwardTrace, site: Site): tf.Tensor {
  const entry = traceLayer(trace, site.node);
  const value =
    site.tensor === 'input'
      ? entry.input
      : site.tensor === 'preActivation'
        ? entry.preActivation
        : entry.output;
  if (!value)
    throw new ReglabError(
      `layer ${entry.name} has no ${site.tensor} in the trace`,
      'use placement post',
    );
  return value;
}
