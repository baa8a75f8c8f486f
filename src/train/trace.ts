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
  /** The model output (probabilities when the last layer ends in softmax). */
  readonly output: tf.Tensor;
  /** The last layer's value before a softmax, for a numerically stable cross-entropy. */
  readonly logits: tf.Tensor;
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
  const last = layers[layers.length - 1];
  const endsInSoftmax = last !== undefined && fusedActivationName(last.layer) === 'softmax';
  const logits = endsInSoftmax && last.preActivation ? last.preActivation : current;
  return { input: x, layers, output: current, logits, training };
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
