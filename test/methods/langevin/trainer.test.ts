/**
 * The Langevin optimizers through reglab's Trainer (which calls `optimizer.minimize(f, true,
 * varList)` with the model's trainable variables, not tfjs-layers `fit`): a small MLP trains a
 * few steps with a circle-constrained UnderdampedLangevin, the constraint holds after every step,
 * the loss goes down, and nothing leaks.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { trainAction } from '../../../src/cli/commands/train.js';
import { Random } from '../../../src/core/random.js';
import { makeBatch, disposeBatch } from '../../../src/data/dataset.js';
import { buildModel } from '../../../src/models/zoo.js';
import { Trainer } from '../../../src/train/trainer.js';
import {
  OverdampedLangevin,
  UnderdampedLangevin,
  type LangevinOptimizer,
} from '../../../src/methods/langevin/index.js';
import { assertNoLeak, toyTwoClassData, useBackend } from '../../support.js';

before(() => useBackend());

test('Trainer + circle-constrained UnderdampedLangevin: |w| ≤ r and w² + ξ² = r² after every step, loss decreases', async () => {
  const n = 64;
  const data = toyTwoClassData(n, 3);
  const rng = new Random(4);
  const batch = makeBatch(
    data,
    Array.from({ length: n }, (_, i) => i),
  );
  const model = buildModel('mlp:32', { inputShape: [4, 4, 1], numClasses: 2, rng });
  const r = 0.05;
  const optimizer = new UnderdampedLangevin({
    h: 0.3,
    gamma: 1,
    tau: 0,
    constraints: `circle:${r}@dense_1`,
  });
  const trainer = new Trainer({ model, optimizer, terms: [], rng });
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    losses.push(trainer.trainStep(batch).loss);
    const residuals = optimizer.residuals();
    assert.ok(
      residuals['dense_1/kernel'] < 1e-5,
      `step ${step}: residual ${residuals['dense_1/kernel']}`,
    );
    const maxAbs = tf.tidy(
      () => tf.max(tf.abs(model.getLayer('dense_1').getWeights()[0])).dataSync()[0],
    );
    assert.ok(maxAbs <= r * (1 + 1e-6), `step ${step}: max|w| = ${maxAbs} > r`);
  }
  assert.deepEqual(
    Object.keys(optimizer.residuals()),
    ['dense_1/kernel'],
    'only dense_1/kernel is constrained',
  );
  assert.ok(
    losses[losses.length - 1] < 0.8 * losses[0],
    `loss ${losses[0]} → ${losses[losses.length - 1]}`,
  );
  await assertNoLeak(() => trainer.trainStep(batch), 3);
  disposeBatch(batch);
  optimizer.dispose();
  model.dispose();
});

test('the first gradient is taken on the manifold (with and without a variable list)', () => {
  const r = 0.05;
  const cases: [string, (name: string) => LangevinOptimizer, boolean][] = [
    [
      'underdamped, varList',
      (n) => new UnderdampedLangevin({ h: 0.3, constraints: `circle:${r}@/${n}/` }),
      true,
    ],
    [
      'underdamped, no varList',
      (n) => new UnderdampedLangevin({ h: 0.3, constraints: `circle:${r}@/${n}/` }),
      false,
    ],
    [
      'overdamped, varList',
      (n) => new OverdampedLangevin({ h: 0.1, constraints: `circle:${r}@/${n}/` }),
      true,
    ],
    [
      'overdamped, no varList',
      (n) => new OverdampedLangevin({ h: 0.1, constraints: `circle:${r}@/${n}/` }),
      false,
    ],
  ];
  cases.forEach(([label, make, withList], k) => {
    const name = `first${k}/kernel`;
    // Far off the circle: |w| up to 0.2 = 4r.
    const w = tf.variable(tf.randomUniform([6, 5], -0.2, 0.2, 'float32', k + 1), true, name);
    const optimizer = make(`first${k}`);
    const seen: number[] = [];
    const loss = () => {
      seen.push(tf.tidy(() => tf.max(tf.abs(w)).dataSync()[0]));
      return tf.sum(tf.square(tf.sub(w, 0.03))) as tf.Scalar;
    };
    for (let step = 0; step < 3; step++)
      optimizer.minimize(loss, false, withList ? [w] : undefined);
    // Without a list the first step evaluates f twice: once to find the variables, once on the manifold.
    const atGradients = withList ? seen : [seen[1], ...seen.slice(2)];
    for (const m of atGradients)
      assert.ok(m <= r * (1 + 1e-6), `${label}: gradient taken at max|w| = ${m}`);
    assert.equal(seen.length, withList ? 3 : 4, `${label}: loss evaluations`);
    optimizer.dispose();
    w.dispose();
  });
});

test('Trainer: the first step equals initialiseVariables + first step (the projection comes before the gradient)', () => {
  const data = toyTwoClassData(32, 5);
  const batch = makeBatch(
    data,
    Array.from({ length: 32 }, (_, i) => i),
  );
  const run = (explicit: boolean): Float32Array[] => {
    const model = buildModel('mlp:16', {
      inputShape: [4, 4, 1],
      numClasses: 2,
      rng: new Random(2),
    });
    // r below the Glorot limit of a 16→16 / 16→2 kernel, so the projection moves the weights.
    const optimizer = new UnderdampedLangevin({
      h: 0.3,
      gamma: 1,
      constraints: 'circle:0.05@dense_1,circle:0.1@dense_2',
    });
    const trainer = new Trainer({ model, optimizer, rng: new Random(3) });
    if (explicit) optimizer.initialiseVariables(trainer.trainableVariables());
    for (let step = 0; step < 2; step++) trainer.trainStep(batch);
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    optimizer.dispose();
    model.dispose();
    return weights;
  };
  assert.deepEqual(run(false), run(true));
  disposeBatch(batch);
});

test('reglab train: a constraint rule that matches no variable fails before any file is written', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'reglab-langevin-'));
  try {
    await assert.rejects(
      trainAction(
        {
          dataset: 'peak',
          trainSize: 20,
          testSize: 10,
          model: 'mlp:8',
          activation: 'relu',
          epochs: 1,
          batchSize: 10,
          optimizer: 'cola-ud:h=0.3:gamma=1:tau=0',
          constraint: ['circle:0.05@dens_1'],
          reg: [],
          track: [],
          seed: 1,
          backend: 'cpu',
          out,
        },
        () => {},
      ),
      (e: Error) =>
        e.name === 'ReglabError' &&
        e.message.includes('"circle:0.05@dens_1" matches no variable') &&
        e.message.includes('dense_1/kernel'),
    );
    assert.deepEqual(await readdir(out), [], 'no file written');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
