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
