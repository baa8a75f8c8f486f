/**
 * What the racecar reverse pass does at each node of a model graph (models/graph.ts), read
 * once off the graph: the node's role (reverse-ops.ts), the runs of shared layers and the
 * weight layer that owns each, whether a run is applied or skipped, the weight layer that
 * reconstructs each state, and which nodes lie on the trunk.
 *
 * - A **run** is a chain of shared nodes (activations, BatchNormalization), each the only
 *   consumer of the one before; its **owner** is the weight node right before it when the run is
 *   that node's only consumer (a block `conv → bn → relu`). The reverse pass applies a run
 *   forwards where it ends and matches a state there.
 * - A run (or the last weight node) with no weight node downstream is already part of the
 *   start value (paper: the reverse pass starts from d_{n+1}); a run with no weight node upstream
 *   sits before the first weight layer (d'_1 gets no activation). Both are **skipped**: the
 *   reverse value passes through unchanged.
 * - A node is on the **trunk** when every path from the input to the output passes through it:
 *   in a topological order, no edge jumps over its position. In a Sequential model every node
 *   is; in a ResNet the stem, each residual unit's output and the head are, the layers inside
 *   a residual branch and a projection shortcut are not.
 */
import type { GraphNode, ModelGraph } from '../../models/graph.js';
import { INPUT_NODE } from '../../models/graph.js';
import { reverseRole, type ReverseRole } from './reverse-ops.js';

/** A run of shared nodes (see the file comment). */
export interface SharedRun {
  /** The run's nodes in forward order (the last one holds the state). */
  readonly nodes: readonly GraphNode[];
  /** The weight node the run belongs to, when the run is its only consumer. */
  readonly owner?: GraphNode;
  /** Whether the run is applied and matched (false: skipped, see the file comment). */
  readonly applied: boolean;
}

/** The reverse pass's view of one model graph. */
export interface ReversePlan {
  readonly graph: ModelGraph;
  /** The node the reverse pass starts at. */
  readonly start: string;
  /** Role of each node, by name. */
  readonly roles: ReadonlyMap<string, ReverseRole>;
  /** The run that ends at a node, by the name of its last node. */
  readonly runEndingAt: ReadonlyMap<string, SharedRun>;
  /** Weight nodes that own an applied run: their reverse value is already a matched state. */
  readonly owners: ReadonlySet<string>;
  /** Whether a weight node lies downstream of a node (it is not part of the start value). */
  readonly beforeLastWeight: ReadonlySet<string>;
  /** The weight node that first consumes a node's value downstream (`input` included). */
  readonly nextWeight: ReadonlyMap<string, string>;
  /** Nodes on the trunk (see the file comment); `input` is. */
  readonly trunk: ReadonlySet<string>;
}

/**
 * The plan of `graph` for a reverse pass that starts at node `start` (default the output node;
 * a run ends there at the latest). Every node's role is checked: an unsupported layer is an
 * error naming it.
 */
export function reversePlan(graph: ModelGraph, start: string = graph.output): ReversePlan {
  const roles = new Map(graph.nodes.map((node) => [node.name, reverseRole(node.layer)]));
  const isWeight = (name: string) => roles.get(name) === 'weight';
  const reversed = [...graph.nodes].reverse();

  // The first weight node downstream of each node (minimum topological index).
  const nextWeight = new Map<string, string>();
  const firstWeightFrom = (name: string): GraphNode | undefined =>
    graph
      .consumers(name)
      .map((c) => (isWeight(c.name) ? c.name : nextWeight.get(c.name)))
      .filter((n): n is string => n !== undefined)
      .map((n) => graph.node(n))
      .sort((a, b) => a.index - b.index)[0];
  for (const node of reversed) {
    const next = firstWeightFrom(node.name);
    if (next) nextWeight.set(node.name, next.name);
  }
  const inputNext = firstWeightFrom(INPUT_NODE);
  if (inputNext) nextWeight.set(INPUT_NODE, inputNext.name);

  const afterWeight = new Set<string>(); // a weight node lies upstream (or is the node)
  for (const node of graph.nodes)
    if (isWeight(node.name) || node.inputs.some((input) => afterWeight.has(input)))
      afterWeight.add(node.name);

  const runEndingAt = new Map<string, SharedRun>();
  const owners = new Set<string>();
  const isShared = (node: GraphNode) => roles.get(node.name) === 'shared';
  const continuesRun = (node: GraphNode) => {
    if (node.name === start) return false;
    const next = graph.consumers(node.name);
    return next.length === 1 && next[0].inputs.length === 1 && isShared(next[0]);
  };
  for (const end of graph.nodes) {
    if (!isShared(end) || continuesRun(end)) continue;
    const nodes = [end];
    for (;;) {
      const [input] = nodes[0].inputs;
      const previous = input === INPUT_NODE ? undefined : graph.node(input);
      if (
        !previous ||
        nodes[0].inputs.length !== 1 ||
        !isShared(previous) ||
        !continuesRun(previous)
      )
        break;
      nodes.unshift(previous);
    }
    const before = nodes[0].inputs[0];
    const candidate = before === INPUT_NODE ? undefined : graph.node(before);
    const owner =
      candidate && isWeight(candidate.name) && graph.consumers(candidate.name).length === 1
        ? candidate
        : undefined;
    const applied = nextWeight.has(end.name) && before !== INPUT_NODE && afterWeight.has(before);
    if (applied && owner) owners.add(owner.name);
    runEndingAt.set(end.name, { nodes, owner: applied ? owner : undefined, applied });
  }

  return {
    graph,
    start,
    roles,
    runEndingAt,
    owners,
    beforeLastWeight: new Set(nextWeight.keys()),
    nextWeight,
    trunk: trunkNodes(graph),
  };
}

/** The nodes no edge jumps over in the topological order (see the file comment). */
function trunkNodes(graph: ModelGraph): Set<string> {
  const position = new Map<string, number>([[INPUT_NODE, -1]]);
  for (const node of graph.nodes) position.set(node.name, node.index);
  // crossed[p] counts the edges u → v with pos(u) < p < pos(v) (a difference array).
  const crossed = new Array<number>(graph.nodes.length + 1).fill(0);
  for (const node of graph.nodes)
    for (const input of node.inputs) {
      const from = (position.get(input) as number) + 1;
      if (from < node.index) {
        crossed[from] += 1;
        crossed[node.index] -= 1;
      }
    }
  const trunk = new Set<string>([INPUT_NODE]);
  let running = 0;
  graph.nodes.forEach((node, p) => {
    running += crossed[p];
    if (running === 0) trunk.add(node.name);
  });
  return trunk;
}
