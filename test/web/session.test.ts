/**
 * The lab's run is the CLI's run: a LabSession (web/src/worker/session.ts, what the page's worker
 * trains) with a seed takes exactly the step losses that `trainRun` (what `reglab train` runs)
 * takes with that seed — same data, initial weights, batch order, terms — on the cpu backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support.js';
import { trainRun } from '../../src/lab/run.js';
import { LabSession } from '../../web/src/worker/session.js';
import { loadLabData } from '../../web/src/worker/data.js';
import { DEFAULT_SETTINGS, type LabSettings } from '../../web/src/settings.js';

test('a lab session takes the same steps as trainRun with the same seed', async () => {
  await useBackend('cpu');
  const settings: LabSettings = {
    ...DEFAULT_SETTINGS,
    dataset: 'peak',
    trainSize: 60,
    testSize: 12,
    model: 'mlp:8',
    method: 'rr+per',
    regs: ['racecar:0.01', 'per:0.01'],
    optimizer: 'adam',
    lr: 0.01,
    batchSize: 20,
    seed: 4,
  };
  const cli: number[] = [];
  await trainRun(
    {
      dataset: 'peak',
      trainSize: 60,
      testSize: 12,
      model: 'mlp:8',
      epochs: 2,
      batchSize: 20,
      optimizer: 'adam',
      lr: 0.01,
      regs: ['racecar:0.01', 'per:0.01'],
      seed: 4,
    },
    undefined,
    { callbacks: { onBatchEnd: (_step, result) => void cli.push(result.loss) } },
  );
  const before = tf.memory().numTensors;
  const session = LabSession.create(settings, await loadLabData(settings, 'unused:'));
  const lab = cli.map(() => session.step().loss);
  session.views(); // every view once: nothing may leak
  session.dispose();
  assert.equal(cli.length, 6, 'two epochs of three batches');
  assert.deepEqual(lab, cli);
  assert.equal(tf.memory().numTensors, before, 'a disposed session leaves no tensors');
});

test('the tiny ResNet of the model list trains in a lab session and shows every view', async () => {
  await useBackend('cpu');
  const settings: LabSettings = {
    ...DEFAULT_SETTINGS,
    dataset: 'peak',
    trainSize: 24,
    testSize: 8,
    model: 'resnet:8:width=0.5',
    method: 'rr',
    regs: ['racecar:0.01'],
    optimizer: 'adam',
    lr: 0.01,
    batchSize: 8,
    seed: 1,
  };
  const before = tf.memory().numTensors;
  const session = LabSession.create(settings, await loadLabData(settings, 'unused:'));
  const losses = [0, 1, 2].map(() => session.step().loss);
  const views = session.views();
  session.dispose();
  assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
  assert.ok(
    'sigmas' in views.singular && views.singular.sigmas.length > 0,
    JSON.stringify(views.singular).slice(0, 200),
  );
  assert.ok(
    'outputs' in views.reconstructions && views.reconstructions.outputs.length > 0,
    JSON.stringify(views.reconstructions).slice(0, 200),
  );
  assert.equal(tf.memory().numTensors, before, 'a disposed session leaves no tensors');
});
