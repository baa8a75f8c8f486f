/**
 * Test graphs built with tfjs-layers directly (tf.input, layer.apply, tfl.model): branches and
 * merges, a layer used twice, nested models, and a tiny residual conv net. Every initialiser is
 * seeded, so two calls with the same seed build the same weights.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../src/core/random.js';

type Symbolic = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: Symbolic | Symbolic[]) => layer.apply(x) as Symbolic;

/** A seeded Glorot-uniform initialiser factory. */
export function initializers(
  seed: number,
): () => ReturnType<typeof tfl.initializers.glorotUniform> {
  const rng = new Random(seed);
  return () => tfl.initializers.glorotUniform({ seed: rng.seed() });
}

/** The merges a branch can end in. */
export const MERGES = ['add', 'concatenate', 'multiply', 'average'] as const;
export type MergeKind = (typeof MERGES)[number];

function mergeLayer(kind: MergeKind): tfl.layers.Layer {
  const name = 'merge';
  switch (kind) {
    case 'add':
      return tfl.layers.add({ name });
    case 'concatenate':
      return tfl.layers.concatenate({ name });
    case 'multiply':
      return tfl.layers.multiply({ name });
    case 'average':
      return tfl.layers.average({ name });
  }
}

/**
 * input[6] → trunk (dense 5, relu) → two branches (dense 5 tanh | dense 5 → bn → relu) →
 * merge → head (dense 3, softmax). Also returns every symbolic tensor by node name, for a
 * probe model that predicts them all.
 */
export function branchMerge(
  kind: MergeKind,
  seed = 1,
): { model: tfl.LayersModel; tensors: Record<string, Symbolic>; input: Symbolic } {
  const init = initializers(seed);
  const input = tfl.input({ shape: [6], name: 'x' });
  const trunk = apply(
    tfl.layers.dense({ name: 'trunk', units: 5, activation: 'relu', kernelInitializer: init() }),
    input,
  );
  const left = apply(
    tfl.layers.dense({ name: 'left', units: 5, activation: 'tanh', kernelInitializer: init() }),
    trunk,
  );
  const right = apply(
    tfl.layers.dense({ name: 'right', units: 5, kernelInitializer: init() }),
    trunk,
  );
  const bn = apply(tfl.layers.batchNormalization({ name: 'right_bn' }), right);
  const act = apply(tfl.layers.activation({ name: 'right_act', activation: 'relu' }), bn);
  const merged = apply(mergeLayer(kind), [left, act]);
  const head = apply(
    tfl.layers.dense({ name: 'head', units: 3, activation: 'softmax', kernelInitializer: init() }),
    merged,
  );
  const tensors = {
    trunk,
    left,
    right,
    right_bn: bn,
    right_act: act,
    merge: merged,
    head,
  };
  return { model: tfl.model({ inputs: input, outputs: head }), tensors, input };
}

/** One dense layer `shared` applied twice (`shared`, `shared#2`) around a ReLU, then a head. */
export function sharedLayerModel(seed = 2): {
  model: tfl.LayersModel;
  shared: tfl.layers.Layer;
  head: tfl.layers.Layer;
} {
  const init = initializers(seed);
  const input = tfl.input({ shape: [4] });
  const shared = tfl.layers.dense({ name: 'shared', units: 4, kernelInitializer: init() });
  const once = apply(shared, input);
  const act = apply(tfl.layers.activation({ name: 'act', activation: 'relu' }), once);
  const twice = apply(shared, act);
  const head = tfl.layers.dense({
    name: 'head',
    units: 2,
    activation: 'softmax',
    kernelInitializer: init(),
  });
  return { model: tfl.model({ inputs: input, outputs: apply(head, twice) }), shared, head };
}

/**
 * A model `inner` (dense 4 relu → dense 4) nested in an outer functional model and called
 * twice: input → inner → inner → dense 2 softmax. Nodes `inner/d1`, `inner/d2`, `inner#2/d1`, …
 */
export function nestedModel(seed = 3): { model: tfl.LayersModel; inner: tfl.LayersModel } {
  const init = initializers(seed);
  const innerInput = tfl.input({ shape: [4] });
  const d1 = apply(
    tfl.layers.dense({ name: 'd1', units: 4, activation: 'relu', kernelInitializer: init() }),
    innerInput,
  );
  const d2 = apply(tfl.layers.dense({ name: 'd2', units: 4, kernelInitializer: init() }), d1);
  const inner = tfl.model({ inputs: innerInput, outputs: d2, name: 'inner' });
  const input = tfl.input({ shape: [4] });
  const once = apply(inner, input);
  const twice = apply(inner, once);
  const head = apply(
    tfl.layers.dense({ name: 'head', units: 2, activation: 'softmax', kernelInitializer: init() }),
    twice,
  );
  return { model: tfl.model({ inputs: input, outputs: head, name: 'outer' }), inner };
}

/** The layer stack of {@link chainModels}, fresh layers each call. */
function chainLayers(seed: number): tfl.layers.Layer[] {
  const init = initializers(seed);
  return [
    tfl.layers.conv2d({ name: 'conv', filters: 3, kernelSize: 3, kernelInitializer: init() }),
    tfl.layers.batchNormalization({ name: 'bn' }),
    tfl.layers.activation({ name: 'act', activation: 'relu' }),
    tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
    tfl.layers.flatten({ name: 'flatten' }),
    tfl.layers.dense({ name: 'hidden', units: 6, activation: 'tanh', kernelInitializer: init() }),
    tfl.layers.dense({ name: 'out', units: 3, activation: 'softmax', kernelInitializer: init() }),
  ];
}

/** The same conv net (6×6×1 → 3 classes) as a `tf.sequential` and as a `tf.model`, same weights. */
export function chainModels(seed = 4): {
  sequential: tfl.Sequential;
  functional: tfl.LayersModel;
} {
  const layers = chainLayers(seed);
  const sequential = tfl.sequential();
  sequential.add(tfl.layers.inputLayer({ inputShape: [6, 6, 1] }));
  for (const layer of layers) sequential.add(layer);
  const input = tfl.input({ shape: [6, 6, 1] });
  const output = chainLayers(seed).reduce<Symbolic>((x, layer) => apply(layer, x), input);
  const functional = tfl.model({ inputs: input, outputs: output });
  functional.setWeights(sequential.getWeights());
  return { sequential, functional };
}

/**
 * A tiny residual conv net: a stem (conv → bn → relu), a unit
 * conv → bn → relu → conv → bn → add(skip from the unit's input) → relu, then GAP → dense.
 * `stem: false` drops the stem (the input, with `channels` channels, is the unit's input: the
 * graph of the racecar finite-difference test); `projection` adds a stride-2 unit with a 1×1
 * projection shortcut (conv stride 2 → bn); `softmax: 'layer'` ends in a Softmax layer.
 */
export function tinyResidual(
  seed = 5,
  {
    size = 5,
    channels = 2,
    projection = false,
    softmax = 'fused',
    stem = true,
  }: {
    size?: number;
    channels?: number;
    projection?: boolean;
    softmax?: 'fused' | 'layer';
    stem?: boolean;
  } = {},
): tfl.LayersModel {
  const init = initializers(seed);
  const conv = (name: string, filters: number, kernelSize: number, strides = 1) =>
    tfl.layers.conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding: 'same',
      kernelInitializer: init(),
    });
  const bn = (name: string) => tfl.layers.batchNormalization({ name });
  const relu = (name: string) => tfl.layers.activation({ name, activation: 'relu' });
  const input = tfl.input({ shape: [size, size, stem ? 1 : channels] });
  let x = stem
    ? apply(relu('stem_relu'), apply(bn('stem_bn'), apply(conv('stem', channels, 3), input)))
    : input;
  const unit = (name: string, filters: number, strides: number) => {
    const a = apply(
      relu(`${name}_relu1`),
      apply(bn(`${name}_bn1`), apply(conv(`${name}_conv1`, filters, 3, strides), x)),
    );
    const b = apply(bn(`${name}_bn2`), apply(conv(`${name}_conv2`, filters, 3), a));
    const skip =
      strides === 1
        ? x
        : apply(bn(`${name}_proj_bn`), apply(conv(`${name}_proj`, filters, 1, strides), x));
    x = apply(relu(`${name}_out`), apply(tfl.layers.add({ name: `${name}_add` }), [b, skip]));
  };
  unit('u1', channels, 1);
  if (projection) unit('u2', 2 * channels, 2);
  const pooled = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
  const logits = apply(
    tfl.layers.dense({
      name: 'logits',
      units: 3,
      activation: softmax === 'fused' ? 'softmax' : 'linear',
      kernelInitializer: init(),
    }),
    pooled,
  );
  const output =
    softmax === 'fused' ? logits : apply(tfl.layers.softmax({ name: 'softmax' }), logits);
  return tfl.model({ inputs: input, outputs: output });
}
