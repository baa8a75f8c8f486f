/**
 * Exact resume (issue 17, class 6): a trainer resumed from a checkpoint continues bit for bit
 * like an uninterrupted one, for every optimizer reglab builds. Adam is the hard case: TF.js's
 * `setWeights` recomputes β^(t+1) with `pow` while training keeps a running float32 product;
 * the resume step here is chosen where the two differ, so the test fails without the saved
 * powers (train/optimizers.ts `optimizerResumeState`).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { buildModel } from '../../src/models/zoo.js';
import { builtinRegistries } from '../../src/registry.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { readsLearningRate, readsMomentum } from '../../src/train/optimizers.js';
import { Trainer } from '../../src/train/trainer.js';
import { toyTwoClassData, useBackend } from '../support.js';

before(() => useBackend());

/** 72 samples in batches of 8: 9 steps an epoch, a resume after 2 epochs is at t = 18. */
const data = toyTwoClassData(72, 1);
const STEPS_AT_RESUME = 18;

function makeTrainer(spec: string, constraints: string[] = []): Trainer {
  const rng = new Random(3);
  const model = buildModel('mlp:8', {
    inputShape: [4, 4, 1],
    numClasses: 2,
    rng: rng.derive('init'),
  });
  const name = spec.split(':')[0];
  const optimizer = builtinRegistries().optimizers.create(spec, {
    learningRate: readsLearningRate(name) ? 0.01 : undefined,
    momentum: readsMomentum(name) ? 0.9 : undefined,
    constraints,
    model,
    rng: rng.derive('optimizer'),
  });
  return new Trainer({ model, optimizer, rng });
}

function weights(trainer: Trainer): Float32Array[] {
  return trainer.model.weights.map((w) => w.read().dataSync() as Float32Array);
}

function dispose(trainer: Trainer): void {
  trainer.model.dispose();
  trainer.optimizer.dispose();
}

test('the resume step is one where pow(β, t+1) and the running product differ (else the Adam test proves nothing)', () => {
  const differs = [0.9, 0.999].map((beta) =>
    tf.tidy(() => {
      let product = tf.scalar(beta);
      for (let t = 1; t <= STEPS_AT_RESUME; t++) product = tf.mul(product, beta);
      return product.dataSync()[0] !== tf.pow(beta, STEPS_AT_RESUME + 1).dataSync()[0];
    }),
  );
  assert.ok(differs.some(Boolean), `β^${STEPS_AT_RESUME + 1} is the same both ways`);
});

for (const [spec, constraints] of [
  ['sgd', []],
  ['momentum', []],
  ['momentum:nesterov', []],
  ['adam', []],
  ['rmsprop', []],
  ['cola-ud:h=0.05:gamma=1:tau=1e-4', ['circle:0.5@dense_1']],
  ['cola-od:h=0.01:tau=1e-4', ['sphere:1@dense_2/kernel']],
] as const) {
  test(`${spec}${constraints.length ? ` with ${constraints[0]}` : ''} resumes bit for bit`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'reglab-resume-'));
    try {
      const whole = makeTrainer(spec, [...constraints]);
      await whole.fit(data, { epochs: 4, batchSize: 8 });
      const first = makeTrainer(spec, [...constraints]);
      await first.fit(data, { epochs: 2, batchSize: 8, checkpointDir: dir });
      assert.equal(first.step, STEPS_AT_RESUME);
      dispose(first);
      const resumed = makeTrainer(spec, [...constraints]);
      await resumed.fit(data, { epochs: 4, batchSize: 8, checkpointDir: dir });
      assert.deepEqual(weights(resumed), weights(whole), 'weights after 4 epochs');
      assert.deepEqual(
        resumed.history.map((m) => m.loss),
        whole.history.map((m) => m.loss),
      );
      dispose(resumed);
      dispose(whole);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('restoring a checkpoint leaks no tensor; a damaged manifest or data file is a named error', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-resume-'));
  try {
    const first = makeTrainer('adam');
    await first.fit(data, { epochs: 1, batchSize: 8, checkpointDir: dir });
    dispose(first);
    const before = tf.memory().numTensors;
    const trainer = makeTrainer('adam');
    await trainer.resume(dir);
    dispose(trainer);
    assert.equal(tf.memory().numTensors, before, 'no tensor left after resume + dispose');

    const manifestFile = path.join(dir, 'checkpoint.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;
    await writeFile(manifestFile, JSON.stringify({ ...manifest, epoch: 'one' }));
    const probe = makeTrainer('adam');
    await assert.rejects(
      loadCheckpoint(dir, probe.model, probe.optimizer),
      /checkpoint\.json: epoch is "one", expected a whole number — the checkpoint is damaged; delete checkpoint\.json/,
    );
    await writeFile(manifestFile, JSON.stringify(manifest));
    const dataFile = path.join(dir, String(manifest.file));
    await writeFile(dataFile, (await readFile(dataFile)).subarray(0, 100));
    await assert.rejects(
      loadCheckpoint(dir, probe.model, probe.optimizer),
      /checkpoint-1\.bin has 100 bytes, but its manifest describes \d+/,
    );
    dispose(probe);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rmsprop:centered is refused: TF.js subtracts ε under its square root (NaN at step 1 here)', () => {
  assert.throws(
    () => makeTrainer('rmsprop:centered'),
    /rmsprop:centered is not available: TF.js 4\.22/,
  );
});
