import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../src/core/errors.js';
import { modelGraph, type ModelGraph } from '../../src/models/graph.js';
import { useBackend } from '../support.js';
import {
  MERGES,
  branchMerge,
  chainModels,
  nestedModel,
  sharedLayerModel,
  tinyResidual,
} from './graphs.js';

before(() => useBackend());

const edges = (graph: ModelGraph) => graph.nodes.map((node) => [node.name, [...node.inputs]]);

test('a branch and a merge: nodes in topological order with their inputs and consumers', () => {
  for (const kind of MERGES) {
    const graph = modelGraph(branchMerge(kind).model);
    const order = graph.nodes.map((node) => node.name);
    for (const node of graph.nodes)
      for (const input of node.inputs)
        if (input !== 'input')
          assert.ok(order.indexOf(input) < node.index, `${kind}: ${input} before ${node.name}`);
    assert.deepEqual(
      Object.fromEntries(edges(graph)),
      {
        trunk: ['input'],
        left: ['trunk'],
        right: ['trunk'],
        right_bn: ['right'],
        right_act: ['right_bn'],
        merge: ['left', 'right_act'],
        head: ['merge'],
      },
      kind,
    );
    assert.equal(graph.node('merge').className, kind[0].toUpperCase() + kind.slice(1));
    assert.deepEqual(
      graph.consumers('trunk').map((node) => node.name),
      ['left', 'right'],
    );
    assert.deepEqual(
      graph.consumers('input').map((node) => node.name),
      ['trunk'],
    );
    assert.equal(graph.output, 'head');
    assert.equal(graph.isChain, false);
    assert.ok(graph.nodes.every((node, i) => node.index === i));
  }
});

test('a layer used twice gives the nodes name and name#2, sharing one layer object', () => {
  const { model, shared } = sharedLayerModel();
  const graph = modelGraph(model);
  assert.deepEqual(edges(graph), [
    ['shared', ['input']],
    ['act', ['shared']],
    ['shared#2', ['act']],
    ['head', ['shared#2']],
  ]);
  assert.equal(graph.node('shared').layer, shared);
  assert.equal(graph.node('shared#2').layer, shared);
  assert.equal(graph.isChain, true, 'a chain of calls, though one layer is called twice');
});

test('a nested model called twice is replaced by its inner nodes, outer/inner and outer#2/inner', () => {
  const { model, inner } = nestedModel();
  const graph = modelGraph(model);
  assert.deepEqual(edges(graph), [
    ['inner/d1', ['input']],
    ['inner/d2', ['inner/d1']],
    ['inner#2/d1', ['inner/d2']],
    ['inner#2/d2', ['inner#2/d1']],
    ['head', ['inner#2/d2']],
  ]);
  assert.equal(graph.node('inner#2/d1').layer, inner.getLayer('d1'));
  assert.throws(
    () => graph.node('d1'),
    (e: unknown) => e instanceof ReglabError && /inner\/d1, inner\/d2/.test(e.hint ?? ''),
  );
});

test('a Sequential nested in a Sequential, and a Sequential and its tf.model twin', () => {
  const inner = tfl.sequential({
    name: 'block',
    layers: [tfl.layers.dense({ name: 'a', units: 3, inputShape: [2] })],
  });
  const outer = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'first', units: 2, inputShape: [2] }),
      inner,
      tfl.layers.dense({ name: 'b', units: 2 }),
    ],
  });
  assert.deepEqual(edges(modelGraph(outer)), [
    ['first', ['input']],
    ['block/a', ['first']],
    ['b', ['block/a']],
  ]);
  // As the *first* layer, tfjs-layers splices a Sequential's own tensors into the outer model
  // (Sequential.add takes its inputs and outputs), so no call of `block` exists: plain names.
  const spliced = tfl.sequential({
    layers: [
      tfl.sequential({ layers: [tfl.layers.dense({ name: 'c', units: 3, inputShape: [2] })] }),
      tfl.layers.dense({ name: 'd', units: 2 }),
    ],
  });
  assert.deepEqual(edges(modelGraph(spliced)), [
    ['c', ['input']],
    ['d', ['c']],
  ]);
  const { sequential, functional } = chainModels();
  assert.deepEqual(edges(modelGraph(sequential)), edges(modelGraph(functional)));
  assert.equal(modelGraph(sequential).isChain, true);
  assert.equal(modelGraph(functional).isChain, true);
});

test('the residual graph: the skip is a second consumer of the unit input', () => {
  const graph = modelGraph(tinyResidual(1, { projection: true }));
  assert.deepEqual(
    graph.consumers('stem_relu').map((node) => node.name),
    ['u1_conv1', 'u1_add'],
  );
  assert.deepEqual([...graph.node('u2_add').inputs], ['u2_bn2', 'u2_proj_bn']);
  assert.deepEqual(
    graph.consumers('u1_out').map((node) => node.name),
    ['u2_conv1', 'u2_proj'],
  );
  assert.equal(graph.isChain, false);
});

test('a model with two inputs or two outputs is an error naming it', () => {
  const a = tfl.input({ shape: [2] });
  const b = tfl.input({ shape: [2] });
  const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  const twoInputs = tfl.model({ inputs: [a, b], outputs: sum, name: 'two_in' });
  assert.throws(() => modelGraph(twoInputs), /model two_in has 2 inputs/);
  const h = tfl.layers.dense({ units: 2 }).apply(a) as tfl.SymbolicTensor;
  const h2 = tfl.layers.dense({ units: 2 }).apply(a) as tfl.SymbolicTensor;
  const twoOutputs = tfl.model({ inputs: a, outputs: [h, h2], name: 'two_out' });
  assert.throws(() => modelGraph(twoOutputs), /model two_out has 2 outputs/);
});
