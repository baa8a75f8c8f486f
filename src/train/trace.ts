/**
 * The forward trace: a Sequential model run layer by layer, keeping every layer's input and
 * output (and, for layers with a fused non-linear activation, the value before it).
 *
 * Regularization terms read the trace instead of re-running the model, so data- and
 * label-dependent penalties (racecar, PER, DR) see exactly the tensors the task loss saw —
 * inside the same `tf.variableGrads` scope, so their gradients flow.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';

/** One layer's part of a forward pass. */
export interface LayerTrace {
  /** Layer name, e.g. `dense_1`. */
  readonly name: string;
  /** TF.js class name, e.g. `Dense`, `Conv2D`, `BatchNormalization`. */
  readonly className: string;
  readonly layer: tfl.layers.Layer;
  /** Position in `model.layers`. */
  readonly index: number;
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
  readonly layers: readonly LayerTrace[];
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
   * fused softmax was split off (or the model ends in no softmax), the one before a final
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

/** Name of the layer's fused activation (`linear` when it has none). */
export function fusedActivationName(layer: tfl.layers.Layer): string {
  const activation = (layer as LayerWithActivation).activation;
  return activation ? activation.getClassName() : 'linear';
}

/** Whether `layer` is a softmax layer of its own (`tfl.layers.softmax()` or `activation('softmax')`). */
export function isSoftmaxLayer(layer: tfl.layers.Layer): boolean {
  const className = layer.getClassName();
  return (
    className === 'Softmax' ||
    (className === 'Activation' && fusedActivationName(layer) === 'softmax')
  );
}

/** The layers of a Sequential model, without its input layer. */
export function sequentialLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  if (!(model instanceof tfl.Sequential)) {
    throw new ReglabError(
      `model ${model.name} is a ${model.getClassName()}, but the forward trace runs Sequential models only`,
      'build it with tf.sequential() (a residual block can be one custom layer inside it)',
    );
  }
  return model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
}

/** Applies one layer, splitting off its fused activation when it has a non-linear one. */
function applyLayer(layer: tfl.layers.Layer, input: tf.Tensor, training: boolean) {
  const withActivation = layer as LayerWithActivation;
  const activation = withActivation.activation;
  if (!activation || activation.getClassName() === 'linear') {
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
 * Runs `model` on `x` layer by layer and returns the trace. Call it inside `tf.tidy` or a
 * gradient scope: the trace's tensors belong to that scope.
 */
export function forwardTrace(
  model: tfl.LayersModel,
  x: tf.Tensor,
  training: boolean,
): ForwardTrace {
  const layers: LayerTrace[] = [];
  let current = x;
  sequentialLayers(model).forEach((layer, index) => {
    const { preActivation, output } = applyLayer(layer, current, training);
    layers.push({
      name: layer.name,
      className: layer.getClassName(),
      layer,
      index,
      input: current,
      preActivation,
      output,
    });
    current = output;
  });
  return { input: x, layers, output: current, training, ...softmaxHead(x, layers) };
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
    return { logits: last.input, logitsIndex: lastIndex - 1, endsInSoftmax: true };
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
