/**
 * The anatomy of a model: what each layer is, which layers form a block, where the hidden
 * representations sit, and a kernel as a matrix — one answer for racecar, PER, DR, the
 * monitors, SVD, the orthogonality baselines and Langevin, so every method names a site the
 * same way.
 *
 * Roles ({@link layerRole}): `weight` (Dense, Conv*: a kernel), `normalization` (BatchNorm,
 * LayerNorm), `activation` (Activation, ReLU, …, Softmax), `structural` (Flatten, Reshape,
 * pooling, padding, Dropout), `merge` (Add, Concatenate, Multiply, Average, …), `other`.
 *
 * A **block** is a weight node and the chain right after it of normalization and activation
 * nodes, each the only consumer of the one before (the zoo's `dense_k → bn_k → act_k`, a
 * ResNet's `conv → bn → relu`). A block is named by its weight node (`dense_2`); its `end` is
 * the chain's last node (`act_2`).
 *
 * A **site** is one hidden representation a method reads. It is named by its block (PER and DR
 * alike say `dense_1`, whose post-activation value `act_1` holds) or, in a residual network,
 * by the merge that closes a residual unit; naming any other layer (`@bn_2`, `@act_1`) reads
 * that layer itself. Default sites
 * ({@link hiddenSites}): in a graph with `Add` merges, the output of every residual unit (the
 * merge and its activation chain: the representation the next unit reads — our choice; the
 * PER paper uses the "same regularization coefficient for activations in all layers", which
 * `@stem_relu,*_relu1,*_out` spells for the zoo's ResNets), else every block but the output
 * block. `placement: 'post'` reads the value after
 * the non-linearity, `pre` the value entering it (a fused layer's pre-activation, the input of
 * the chain's first activation layer).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { matchTargets } from '../core/spec.js';
import { ZERO_PAD_SHORTCUT_CLASS } from './shortcut.js';
import { INPUT_NODE, modelGraph, type GraphNode, type ModelGraph } from './graph.js';

/** What a layer is (see the file comment). */
export type LayerRole =
  'weight' | 'normalization' | 'activation' | 'structural' | 'merge' | 'other';

const ROLES: Readonly<Record<string, LayerRole>> = {
  Dense: 'weight',
  Conv1D: 'weight',
  Conv2D: 'weight',
  Conv3D: 'weight',
  DepthwiseConv2D: 'weight',
  SeparableConv2D: 'weight',
  Conv2DTranspose: 'weight',
  Conv3DTranspose: 'weight',
  ResidualDense: 'weight',
  BatchNormalization: 'normalization',
  LayerNormalization: 'normalization',
  Activation: 'activation',
  ReLU: 'activation',
  LeakyReLU: 'activation',
  ELU: 'activation',
  PReLU: 'activation',
  ThresholdedReLU: 'activation',
  Softmax: 'activation',
  Flatten: 'structural',
  Reshape: 'structural',
  MaxPooling2D: 'structural',
  AveragePooling2D: 'structural',
  GlobalAveragePooling2D: 'structural',
  GlobalMaxPooling2D: 'structural',
  ZeroPadding2D: 'structural',
  [ZERO_PAD_SHORTCUT_CLASS]: 'structural',
  Cropping2D: 'structural',
  Dropout: 'structural',
  SpatialDropout1D: 'structural',
  Add: 'merge',
  Concatenate: 'merge',
  Multiply: 'merge',
  Average: 'merge',
  Maximum: 'merge',
  Minimum: 'merge',
  Subtract: 'merge',
};

/** The role of `layer`. */
export function layerRole(layer: tfl.layers.Layer): LayerRole {
  return ROLES[layer.getClassName()] ?? 'other';
}

type ActivationObject = { apply(x: tf.Tensor): tf.Tensor; getClassName(): string };
type LayerWithActivation = tfl.layers.Layer & { activation?: ActivationObject | null };

/** Name of the layer's fused activation (`linear` when it has none). */
export function fusedActivationName(layer: tfl.layers.Layer): string {
  const activation = (layer as LayerWithActivation).activation;
  return activation ? activation.getClassName() : 'linear';
}

/** Whether `layer` has a fused non-linear activation (`dense({activation: 'relu'})`). */
export function hasFusedNonLinearity(layer: tfl.layers.Layer): boolean {
  return layerRole(layer) !== 'activation' && fusedActivationName(layer) !== 'linear';
}

/** Whether `layer` is a softmax layer of its own (`tfl.layers.softmax()` or `activation('softmax')`). */
export function isSoftmaxLayer(layer: tfl.layers.Layer): boolean {
  const className = layer.getClassName();
  return (
    className === 'Softmax' ||
    (className === 'Activation' && fusedActivationName(layer) === 'softmax')
  );
}

/** A weight node with its normalization/activation chain. */
export interface Block {
  /** The weight node's name, the block's name. */
  readonly name: string;
  /** The weight node, then the chain, in order. */
  readonly nodes: readonly GraphNode[];
  /** The chain's last node (the weight node when there is no chain). */
  readonly end: GraphNode;
}

/** The normalization/activation chain after `start` (see the file comment). */
function chainAfter(graph: ModelGraph, start: GraphNode): GraphNode[] {
  const chain: GraphNode[] = [];
  let current = start;
  for (;;) {
    const next = graph.consumers(current.name);
    if (next.length !== 1) break;
    const [node] = next;
    const role = layerRole(node.layer);
    if (node.inputs.length !== 1 || (role !== 'normalization' && role !== 'activation')) break;
    chain.push(node);
    current = node;
  }
  return chain;
}

/** Every block of the graph, in topological order (the output block included). */
export function blocks(graph: ModelGraph): Block[] {
  return graph.nodes
    .filter((node) => layerRole(node.layer) === 'weight')
    .map((node) => {
      const nodes = [node, ...chainAfter(graph, node)];
      return { name: node.name, nodes, end: nodes[nodes.length - 1] };
    });
}

/** Where a site's tensor sits in a trace. */
export interface Site {
  /** The name methods and metrics use (a block, a residual unit, or the named layer). */
  readonly name: string;
  /** The node holding the tensor. */
  readonly node: string;
  /** Which of the node's tensors: its output, its (first) input, or its pre-activation. */
  readonly tensor: 'output' | 'input' | 'preActivation';
  /** Shape of one sample (the node's output shape without the batch; −1 unknown). */
  readonly sampleShape: readonly number[];
}

/** After (`post`) or before (`pre`) the non-linearity. */
export type Placement = 'post' | 'pre';
export const PLACEMENTS: readonly Placement[] = ['post', 'pre'];

function sampleShapeOf(layer: tfl.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.slice(1).map((n) => n ?? -1);
}

/** The site of a run of nodes (a block, or a merge and its chain) for `placement`. */
function siteOfRun(name: string, run: readonly GraphNode[], placement: Placement): Site {
  const site = (node: GraphNode, tensor: Site['tensor']): Site => ({
    name,
    node: node.name,
    tensor,
    sampleShape: sampleShapeOf(node.layer),
  });
  if (placement === 'post') return site(run[run.length - 1], 'output');
  for (const node of run) {
    if (layerRole(node.layer) === 'activation') return site(node, 'input');
    if (hasFusedNonLinearity(node.layer)) return site(node, 'preActivation');
  }
  return site(run[0], 'output');
}

/** The residual units of a graph: each `Add` merge with its activation chain, named by the merge. */
export function residualUnits(graph: ModelGraph): { name: string; nodes: GraphNode[] }[] {
  return graph.nodes
    .filter((node) => node.className === 'Add')
    .map((node) => ({ name: node.name, nodes: [node, ...chainAfter(graph, node)] }));
}

/**
 * The default hidden sites (see the file comment): the residual units' outputs in a graph with
 * `Add` merges, else every block but the output block.
 * @throws ReglabError when the model has no hidden representation.
 */
export function hiddenSites(graph: ModelGraph, placement: Placement = 'post'): Site[] {
  const units = residualUnits(graph);
  if (units.length > 0) return units.map((unit) => siteOfRun(unit.name, unit.nodes, placement));
  const hidden = blocks(graph).slice(0, -1);
  if (hidden.length === 0)
    throw new ReglabError(
      `model ${graph.model.name} has no hidden layer (only the output layer)`,
      'use a model with hidden layers, or name the layers explicitly (…@layer_name)',
    );
  return hidden.map((block) => siteOfRun(block.name, block.nodes, placement));
}

/**
 * The site a target names: a weight node names its block (its chain included), an `Add` merge
 * its residual unit, any other node itself (its output for `post`; for `pre`, the input of an
 * activation layer or the pre-activation of a fused one).
 */
export function siteNamed(graph: ModelGraph, name: string, placement: Placement = 'post'): Site {
  const node = graph.node(name);
  const run = [...blocks(graph), ...residualUnits(graph)].find((r) => r.name === node.name);
  return run ? siteOfRun(run.name, run.nodes, placement) : siteOfRun(node.name, [node], placement);
}

/**
 * The sites `targets` select (names, globs like `conv_*`, `/regex/`; see core/spec.ts
 * `matchTargets`), or the default hidden sites without targets. A target that matches no
 * layer is an error listing the layers.
 */
export function resolveSites(
  model: tfl.LayersModel,
  targets?: readonly string[],
  placement: Placement = 'post',
): Site[] {
  const graph = modelGraph(model);
  if (!targets) return hiddenSites(graph, placement);
  const names = matchTargets(
    targets,
    graph.nodes.map((node) => node.name),
    'layer',
  );
  return names.map((name) => siteNamed(graph, name, placement));
}

/** The nodes that own a kernel (`…/kernel` weights), in topological order. */
export function kernelNodes(graph: ModelGraph): GraphNode[] {
  const seen = new Set<tfl.layers.Layer>();
  return graph.nodes.filter((node) => {
    if (seen.has(node.layer)) return false; // a shared layer's kernel counts once
    seen.add(node.layer);
    return node.layer.weights.some((w) => /kernel$/.test(w.originalName));
  });
}

/** The kernel variable of a layer (its live value, so gradients flow), or an error. */
export function kernelOf(layer: tfl.layers.Layer): tf.Tensor {
  const kernel = layer.weights.find((w) => /kernel$/.test(w.originalName));
  if (!kernel)
    throw new ReglabError(
      `layer ${layer.name} (${layer.getClassName()}) has no kernel`,
      'choose a Dense or convolution layer',
    );
  return kernel.read();
}

/** A kernel as a matrix with one column per output unit: [kh·kw·in, out] for convolutions. */
export function kernelMatrix(kernel: tf.Tensor): tf.Tensor2D {
  return kernel.rank === 2
    ? (kernel as tf.Tensor2D)
    : tf.reshape(kernel, [-1, kernel.shape[kernel.rank - 1]]);
}

/** The model input's node name (racecar's d_1). */
export { INPUT_NODE };
