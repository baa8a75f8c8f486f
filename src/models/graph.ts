/**
 * The layer graph of any tfjs-layers model — `tf.sequential`, a functional `tf.model` with
 * branches and merges, layers used more than once, models nested inside models — as one list
 * of nodes in topological order. The forward trace (train/trace.ts) runs it; the anatomy
 * (anatomy.ts) reads roles, blocks and sites off it.
 *
 * A node is one call of a layer. Its name is the layer's name, `name#2`, `name#3`, … for a
 * layer's later calls in the same model, and `outer/inner` for the layers of a nested model
 * (whose own node, the call of the nested model, is replaced by its inner nodes). The model's
 * input is the node named `input` (reglab's name for d_1 in racecar, too).
 *
 * The walk is a depth-first post-order from the model output through each symbolic tensor's
 * producing node (`sourceLayer.inboundNodes[nodeIndex]`), so inputs always come before the
 * nodes that consume them, and a Sequential model gives its layers in order. One input and
 * one output (a classifier); layers with several outputs are an error naming the layer.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';

/** The name of the model-input node. */
export const INPUT_NODE = 'input';

/** One call of a layer. */
export interface GraphNode {
  /** Unique within the graph (see the file comment). */
  readonly name: string;
  readonly layer: tfl.layers.Layer;
  /** TF.js class name, e.g. `Dense`, `Add`. */
  readonly className: string;
  /** The nodes whose outputs this node takes, in the layer's input order (`input` for the model input). */
  readonly inputs: readonly string[];
  /** Position in {@link ModelGraph.nodes}. */
  readonly index: number;
}

/** A model's nodes in topological order (the input node excluded). */
export interface ModelGraph {
  readonly model: tfl.LayersModel;
  readonly nodes: readonly GraphNode[];
  /** The node whose output is the model output. */
  readonly output: string;
  /** The node called `name`, or an error listing the names. */
  node(name: string): GraphNode;
  /** The nodes that take `name`'s output (`input` for the model input). */
  consumers(name: string): readonly GraphNode[];
  /** Whether every node has one input, fed by the node before it (a plain stack of layers). */
  readonly isChain: boolean;
}

type Symbolic = tfl.SymbolicTensor;
type LayerNode = {
  inboundLayers: tfl.layers.Layer[];
  inputTensors: Symbolic[];
  outputTensors: Symbolic[];
};
type WithNodes = tfl.layers.Layer & { inboundNodes: LayerNode[] };

function isContainer(layer: tfl.layers.Layer): layer is tfl.LayersModel {
  return layer instanceof tfl.LayersModel;
}

function single<T>(items: readonly T[], what: string, fix: string): T {
  if (items.length !== 1) throw new ReglabError(what, fix);
  return items[0];
}

/** Builds the nodes of `model` into `nodes`; returns the name of the node holding `model`'s output. */
function walk(
  model: tfl.LayersModel,
  prefix: string,
  inputName: string,
  nodes: GraphNode[],
  taken: Map<string, number>,
): string {
  const modelInput = single(
    model.inputs,
    `model ${model.name} has ${model.inputs.length} inputs`,
    'reglab traces models with one input (a classifier); merge the inputs into one tensor first',
  );
  const modelOutput = single(
    model.outputs,
    `model ${model.name} has ${model.outputs.length} outputs`,
    'reglab traces models with one output (a classifier); train a model that ends in one layer',
  );
  const done = new Map<Symbolic['id'], string>([[modelInput.id, inputName]]);
  const visit = (tensor: Symbolic): string => {
    const known = done.get(tensor.id);
    if (known !== undefined) return known;
    const layer = tensor.sourceLayer as WithNodes;
    if (layer instanceof tfl.layers.Layer && layer.getClassName() === 'InputLayer')
      throw new ReglabError(
        `model ${model.name} reads an input layer (${layer.name}) that is not its input`,
        'build the model from one tf.input()',
      );
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (node.outputTensors.length !== 1)
      throw new ReglabError(
        `layer ${layer.name} (${layer.getClassName()}) has ${node.outputTensors.length} outputs`,
        'reglab traces layers with one output',
      );
    const inputs = node.inputTensors.map(visit);
    let name: string;
    if (isContainer(layer)) {
      const nested = prefix + uniqueName(layer.name, taken, prefix);
      name = walk(
        layer,
        `${nested}/`,
        single(
          inputs,
          `nested model ${layer.name} takes several inputs`,
          'nest models with one input',
        ),
        nodes,
        taken,
      );
    } else {
      name = prefix + uniqueName(layer.name, taken, prefix);
      nodes.push({ name, layer, className: layer.getClassName(), inputs, index: nodes.length });
    }
    done.set(tensor.id, name);
    return name;
  };
  return visit(modelOutput);
}

/** `name` for a layer's first call in this scope, `name#k` for its k-th. */
function uniqueName(name: string, taken: Map<string, number>, prefix: string): string {
  const key = prefix + name;
  const count = (taken.get(key) ?? 0) + 1;
  taken.set(key, count);
  return count === 1 ? name : `${name}#${count}`;
}

const graphs = new WeakMap<tfl.LayersModel, ModelGraph>();

/** The graph of `model` (computed once per model; see the file comment). */
export function modelGraph(model: tfl.LayersModel): ModelGraph {
  const cached = graphs.get(model);
  if (cached) return cached;
  if (model.inputs === undefined || model.outputs === undefined || model.outputs.length === 0)
    throw new ReglabError(
      `model ${model.name} is not built`,
      'give its first layer an inputShape (or call the model once) before training it',
    );
  const nodes: GraphNode[] = [];
  const output = walk(model, '', INPUT_NODE, nodes, new Map([[INPUT_NODE, 1]]));
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const consumers = new Map<string, GraphNode[]>();
  for (const node of nodes)
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  const graph: ModelGraph = {
    model,
    nodes,
    output,
    node(name) {
      const found = byName.get(name);
      if (!found)
        throw new ReglabError(
          `no layer named "${name}" in model ${model.name}`,
          `choose one of: ${nodes.map((n) => n.name).join(', ')}`,
        );
      return found;
    },
    consumers: (name) => consumers.get(name) ?? [],
    isChain:
      nodes.every(
        (node, i) =>
          node.inputs.length === 1 && node.inputs[0] === (i === 0 ? INPUT_NODE : nodes[i - 1].name),
      ) && (consumers.get(INPUT_NODE)?.length ?? 0) <= 1,
  };
  graphs.set(model, graph);
  return graph;
}
