/**
 * Serialisation: getConfig/fromConfig through the class registry, and a tfjs-layers model
 * compiled with a Langevin optimizer saved with `includeOptimizer: true` into memory, loaded
 * back and trained on: it continues exactly like the original (weights, ξ, momenta, noise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '../../support.js';
import {
  UnderdampedLangevin,
  OverdampedLangevin,
  LangevinOptimizer,
} from '../../../src/methods/langevin/index.js';

await useBackend();

test('getConfig / fromConfig round trip through tf.serialization', () => {
  const opt = new UnderdampedLangevin({
    h: 0.3,
    gamma: 1,
    tau: 1e-4,
    seed: 7,
    constraints: 'circle:0.05@dense_1,orthogonal@/conv_\\d+\\/kernel/',
  });
  const cls =
    tf.serialization.SerializationMap.getMap().classNameMap[UnderdampedLangevin.className][0];
  const back = (cls as typeof UnderdampedLangevin).fromConfig(
    UnderdampedLangevin,
    opt.getConfig(),
  ) as UnderdampedLangevin;
  assert.deepEqual(back.getConfig(), opt.getConfig());
  assert.equal(back.constraintOf('dense_1/kernel').spec(), 'circle:0.05');
  assert.equal(back.constraintOf('conv_3/kernel').kind, 'orthogonal');
  const od = new OverdampedLangevin({ h: 0.1, tau: 1e-3, constraints: 'sphere:1@*' });
  const odBack = OverdampedLangevin.fromConfig(
    OverdampedLangevin,
    od.getConfig(),
  ) as OverdampedLangevin;
  assert.deepEqual(odBack.getConfig(), od.getConfig());
});

function buildModel(optimizer: tf.Optimizer): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 8, inputShape: [6], activation: 'relu', name: 'dense_1' }),
      tfl.layers.dense({ units: 3, name: 'dense_2' }),
    ],
  });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return model;
}

async function weightsOf(model: tfl.LayersModel): Promise<number[]> {
  return (await Promise.all(model.getWeights().map((w) => w.data()))).flatMap((d) => Array.from(d));
}

for (const make of [
  () =>
    new UnderdampedLangevin({
      h: 0.3,
      gamma: 1,
      tau: 1e-4,
      seed: 3,
      constraints: 'circle:0.3@dense_1,orthogonal@dense_2',
    }),
  () =>
    new OverdampedLangevin({
      h: 0.1,
      tau: 1e-4,
      seed: 4,
      constraints: 'circle:0.3@dense_1,sphere:1@dense_2',
    }),
]) {
  test(`${make().getClassName()}: model.save({includeOptimizer}) → load → continues identically`, async () => {
    const x = tf.randomNormal([32, 6], 0, 1, 'float32', 1);
    const y = tf.randomNormal([32, 3], 0, 1, 'float32', 2);
    const model = buildModel(make());
    await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    assert.ok(
      saved?.weightSpecs?.some((s) => s.group === 'optimizer' && s.name.endsWith('/xi')),
      'ξ saved with the optimizer',
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    assert.ok(
      loaded.optimizer instanceof LangevinOptimizer,
      'optimizer restored from the training config',
    );
    assert.deepEqual(await weightsOf(loaded), await weightsOf(model));
    await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const a = await weightsOf(model);
    const b = await weightsOf(loaded);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-6, `weight ${i}: ${v} vs ${b[i]}`));
    const res = (loaded.optimizer as LangevinOptimizer).residuals();
    assert.ok(
      Object.values(res).every((r) => r < 1e-5),
      JSON.stringify(res),
    );
    const kernel = loaded.getLayer('dense_1').getWeights()[0];
    assert.ok(tf.max(tf.abs(kernel)).dataSync()[0] <= 0.3 * (1 + 1e-6));
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });
}

test('instanceof is a real class test (tf.Optimizer duck-types it)', () => {
  assert.ok(!(tf.train.sgd(0.1) instanceof UnderdampedLangevin));
  assert.ok(!(new OverdampedLangevin({ h: 0.1 }) instanceof UnderdampedLangevin));
  assert.ok(new OverdampedLangevin({ h: 0.1 }) instanceof LangevinOptimizer);
  assert.ok(new UnderdampedLangevin({ h: 0.1 }) instanceof tf.Optimizer);
});
