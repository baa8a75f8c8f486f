/**
 * The ResNet zoo (models/resnet.ts) and its option-A shortcut (models/shortcut.ts): the
 * architecture against a parameter count written out from He et al. 2016, the layer names,
 * the spec grammar, the shortcut against a brute-force subsample, its adjoint, gradients and
 * serialization, and what the anatomy reads off a ResNet.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../../src/core/random.js';
import { buildModel } from '../../src/models/zoo.js';
import { parseResNetSpec } from '../../src/models/resnet.js';
import { ZeroPadShortcut } from '../../src/models/shortcut.js';
import { fileSystemHandler, loadModel } from '../../src/models/io.js';
import { modelGraph } from '../../src/models/graph.js';
import { hiddenSites, kernelNodes, layerRole, resolveSites } from '../../src/models/anatomy.js';
import { forwardTrace } from '../../src/train/trace.js';
import { assertClose, assertNoLeak, useBackend } from '../support.js';

before(() => useBackend());

const build = (spec: string, inputShape = [32, 32, 3], numClasses = 10) =>
  buildModel(spec, { inputShape, numClasses, rng: new Random(3) });

/**
 * Parameters of the paper's CIFAR ResNet written out by hand: a 3×3 stem, 2n 3×3 convolutions
 * per stage (the first of stages 2 and 3 widening), no conv bias, 4 BN numbers per channel
 * (γ, β, moving mean, moving variance), a dense head; option A adds nothing, option B a 1×1
 * conv + BN per widening unit.
 */
function paperParameters(n: number, inChannels: number, w: number, projection: boolean): number {
  const [c1, c2, c3] = [16 * w, 32 * w, 64 * w];
  const conv = (cin: number, cout: number, k = 3) => k * k * cin * cout + 4 * cout;
  let total = conv(inChannels, c1);
  for (const [cin, cout] of [
    [c1, c1],
    [c1, c2],
    [c2, c3],
  ]) {
    total += conv(cin, cout) + conv(cout, cout); // the first unit of the stage
    total += (n - 1) * 2 * conv(cout, cout);
    if (projection && cin !== cout) total += conv(cin, cout, 1);
  }
  return total + c3 * 10 + 10;
}

test("resnet:20|32|44|56|110 have the paper's depth and parameters (0.27M for ResNet-20)", () => {
  for (const depth of [20, 32, 44, 56, 110]) {
    const model = build(`resnet:${depth}`);
    const n = (depth - 2) / 6;
    assert.equal(model.countParams(), paperParameters(n, 3, 1, false), `resnet:${depth}`);
    const weighted = model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()));
    assert.equal(weighted.length, depth, `resnet:${depth}: 6n + 2 weighted layers`);
    assert.deepEqual(model.outputShape, [null, 10]);
    model.dispose();
  }
  const twenty = build('resnet:20');
  assert.equal(twenty.countParams(), 271_098);
  twenty.dispose();
});

test('width, projection shortcuts and the predictable names', () => {
  const wide = build('resnet:8:width=2', [28, 28, 1]);
  assert.equal(wide.countParams(), paperParameters(1, 1, 2, false));
  assert.deepEqual(wide.getLayer('stage3_block1_conv2').outputShape, [null, 7, 7, 128]);
  wide.dispose();
  const projected = build('resnet:8:projection');
  assert.equal(projected.countParams(), paperParameters(1, 3, 1, true));
  const names = projected.layers.map((l) => l.name);
  for (const name of ['stage2_block1_proj_conv', 'stage2_block1_proj_bn', 'stage3_block1_add'])
    assert.ok(names.includes(name), name);
  assert.ok(!names.some((name) => name.endsWith('_shortcut')));
  projected.dispose();
  const twenty = build('resnet:20');
  const expected = [
    'stem_conv',
    'stem_bn',
    'stem_relu',
    'stage1_block1_conv1',
    'stage2_block3_conv1',
    'stage2_block3_bn1',
    'stage2_block3_relu1',
    'stage2_block3_conv2',
    'stage2_block3_bn2',
    'stage2_block3_add',
    'stage2_block3_out',
    'stage2_block1_shortcut',
    'stage3_block1_shortcut',
    'pool',
    'dense',
  ];
  for (const name of expected) assert.doesNotThrow(() => twenty.getLayer(name), name);
  assert.equal(twenty.getLayer('stage1_block1_conv1').getConfig().useBias, false);
  assert.deepEqual(twenty.getLayer('stage3_block3_out').outputShape, [null, 8, 8, 64]);
  twenty.dispose();
});

test('resnet specs parse in the one grammar; bad depths, widths and words are named errors', () => {
  assert.deepEqual(parseResNetSpec('resnet:56'), {
    depth: 56,
    blocksPerStage: 9,
    channels: [16, 32, 64],
    shortcut: 'zero-pad',
  });
  assert.deepEqual(parseResNetSpec('resnet:8:width=0.25:projection').channels, [4, 8, 16]);
  for (const [spec, fragment] of [
    ['resnet:21', '6n + 2'],
    ['resnet', 'needs depth'],
    ['resnet:20:width=0', 'width'],
    ['resnet:20:bottleneck', 'unknown option'],
    ['resnet:2', '≥ 8'],
  ])
    assert.throws(
      () => build(spec),
      (e: Error) => e.name === 'ReglabError' && e.message.includes(fragment),
      spec,
    );
  assert.throws(
    () => build('resnet:8', [784]),
    (e: Error) => e.name === 'ReglabError' && /image inputs/.test(e.message),
  );
});

/** x[:, ::s, ::s, :] with zero channels up to `filters`, by loops. */
function bruteShortcut(x: tf.Tensor4D, s: number, filters: number): number[] {
  const [b, h, w, c] = x.shape;
  const v = x.arraySync();
  const out: number[] = [];
  for (let n = 0; n < b; n++)
    for (let i = 0; i < h; i += s)
      for (let j = 0; j < w; j += s)
        for (let k = 0; k < filters; k++) out.push(k < c ? v[n][i][j][k] : 0);
  return out;
}

test('ZeroPadShortcut is x[:, ::s, ::s, :] zero-padded (even and odd sizes); its adjoint and gradient agree', () => {
  for (const [h, w, c, filters, s] of [
    [6, 6, 2, 4, 2],
    [7, 5, 3, 6, 2],
    [5, 5, 2, 2, 1],
    [9, 8, 1, 3, 3],
  ]) {
    tf.tidy(() => {
      const layer = new ZeroPadShortcut({ filters, strides: s });
      const x = tf.randomNormal([2, h, w, c], 0, 1, 'float32', h * w) as tf.Tensor4D;
      const y = layer.apply(x) as tf.Tensor;
      const label = `${h}×${w}×${c} → ${filters}, stride ${s}`;
      assert.deepEqual(y.shape, [2, Math.ceil(h / s), Math.ceil(w / s), filters], label);
      assert.deepEqual(Array.from(y.dataSync()), bruteShortcut(x, s, filters), label);
      assert.deepEqual(layer.computeOutputShape([null, h, w, c]), [null, ...y.shape.slice(1)]);
      // ⟨Sx, v⟩ = ⟨x, Sᵀv⟩
      const v = tf.randomNormal(y.shape, 0, 1, 'float32', 7);
      const back = layer.adjoint(v, x.shape);
      assert.deepEqual(back.shape, x.shape, label);
      assertClose(tf.sum(tf.mul(y, v)).dataSync()[0], tf.sum(tf.mul(x, back)).dataSync()[0], {
        atol: 1e-4,
        message: label,
      });
      // The gradient of ⟨S(x), v⟩ is Sᵀv (autodiff through pad/reshape/slice).
      const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(layer.apply(z) as tf.Tensor, v)))(x);
      assertClose(grad.dataSync(), back.dataSync(), { atol: 1e-6, message: label });
    });
  }
  assert.throws(
    () => new ZeroPadShortcut({ filters: 2 }).apply(tfl.input({ shape: [4, 4, 3] })),
    (e: Error) => e.name === 'ReglabError' && /C ≤ 2/.test(e.message),
  );
});

test('a ResNet saves and loads (the shortcut is registered) with the same predictions', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-resnet-'));
  try {
    const model = build('resnet:8:width=0.25', [8, 8, 1], 3);
    await model.save(fileSystemHandler(dir));
    const loaded = await loadModel(path.join(dir, 'model.json'));
    assert.ok(loaded.getLayer('stage2_block1_shortcut') instanceof ZeroPadShortcut);
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    assertClose(b.dataSync(), a.dataSync(), { atol: 1e-6 });
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the anatomy of a ResNet: residual units as sites, every conv and the head as kernels, the shortcut structural', () => {
  const model = build('resnet:8:width=0.25', [8, 8, 1], 3);
  const graph = modelGraph(model);
  assert.deepEqual(
    hiddenSites(graph).map((site) => [site.name, site.node]),
    [
      ['stage1_block1_add', 'stage1_block1_out'],
      ['stage2_block1_add', 'stage2_block1_out'],
      ['stage3_block1_add', 'stage3_block1_out'],
    ],
  );
  assert.deepEqual(
    hiddenSites(graph, 'pre').map((site) => [site.node, site.tensor]),
    [
      ['stage1_block1_out', 'input'],
      ['stage2_block1_out', 'input'],
      ['stage3_block1_out', 'input'],
    ],
  );
  assert.deepEqual(
    kernelNodes(graph).map((node) => node.name),
    [
      'stem_conv',
      'stage1_block1_conv1',
      'stage1_block1_conv2',
      'stage2_block1_conv1',
      'stage2_block1_conv2',
      'stage3_block1_conv1',
      'stage3_block1_conv2',
      'dense',
    ],
  );
  assert.equal(layerRole(model.getLayer('stage2_block1_shortcut')), 'structural');
  // The PER paper's "activations in all layers" as globs: the stem's, each branch's and each unit's ReLU.
  assert.deepEqual(
    resolveSites(model, ['stem_relu', '*_relu1', '*_out']).map((site) => site.node),
    [
      'stem_relu',
      'stage1_block1_relu1',
      'stage2_block1_relu1',
      'stage3_block1_relu1',
      'stage1_block1_out',
      'stage2_block1_out',
      'stage3_block1_out',
    ],
  );
  // The trace runs the graph: its last output is the model's prediction, and it leaks nothing.
  const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 2);
  const predicted = model.predict(x) as tf.Tensor;
  tf.tidy(() => {
    const trace = forwardTrace(model, x, false);
    assertClose(trace.output.dataSync(), predicted.dataSync(), { atol: 1e-6 });
  });
  predicted.dispose();
  x.dispose();
  model.dispose();
});

test('the forward trace of a ResNet leaks no tensor', async () => {
  const model = build('resnet:8:width=0.25', [8, 8, 1], 3);
  const x = tf.ones([2, 8, 8, 1]);
  await assertNoLeak(() => tf.tidy(() => void forwardTrace(model, x, true)));
  x.dispose();
  model.dispose();
});
