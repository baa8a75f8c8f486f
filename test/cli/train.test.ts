import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildProgram } from '../../src/cli/main.js';
import { trainAction } from '../../src/cli/commands/train.js';
import { useBackend } from '../support.js';
import { fileSystemHandler } from '../../src/models/io.js';

before(() => useBackend());

const flags = (out: string) => ({
  dataset: 'peak',
  model: 'mlp:16',
  activation: 'relu' as const,
  epochs: 2,
  batchSize: 25,
  optimizer: 'adam',
  lr: 1e-3,
  constraint: [],
  reg: ['racecar:1e-6', 'per:1e-4'],
  track: ['activations'],
  seed: 3,
  backend: 'cpu' as const,
  out,
});

test('reglab train writes a complete, loadable run folder and resumes it', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'reglab-train-'));
  try {
    const lines: string[] = [];
    const result = await trainAction(flags(out), (line) => lines.push(line));
    for (const file of [
      'config.json',
      'metrics.jsonl',
      'model.json',
      'weights.bin',
      'checkpoint.json',
      'result.json',
    ]) {
      assert.ok(existsSync(path.join(out, file)), `${file} exists`);
    }
    const metrics = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      metrics.map((m) => m.epoch),
      [1, 2],
    );
    assert.ok(metrics[1].terms.racecar > 0 && metrics[1].terms.per > 0, 'both terms reported');
    assert.ok(
      Object.keys(metrics[1].monitors).some((k) => k.startsWith('activations/')),
      'monitor reported',
    );
    assert.ok(
      lines.some((l) => /^epoch 2\/2 .*racecar .*per /.test(l)),
      'epoch summary lines name the terms',
    );
    const model = await tfl.loadLayersModel(fileSystemHandler(out));
    assert.deepEqual(model.outputs[0].shape, [null, 2]);
    model.dispose();
    // Same command again: the checkpoint says the run is finished, same numbers.
    const again = await trainAction(flags(out), () => {});
    assert.equal(again.testAccuracy, result.testAccuracy);
    await assert.rejects(
      trainAction({ ...flags(out), seed: 4 }, () => {}),
      /holds a different run/,
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('bad flags and unknown names give clear errors', async () => {
  const run = (args: string[]) =>
    buildProgram({ throwOnError: true, writeErr: () => {} }).parseAsync([
      'node',
      'reglab',
      ...args,
    ]);
  await assert.rejects(run(['train', '--epochs', 'many']), /not a positive integer/);
  await assert.rejects(run(['train', '--dataset', 'imagenet']), /Allowed choices are mnist/);
  await assert.rejects(run(['train', '--nonsense']), /unknown option '--nonsense'/);
  await assert.rejects(
    trainAction({ ...flags('unused'), reg: ['racecar'] }, () => {}),
    /"racecar" needs λ — write racecar\[/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), reg: ['racecar:layerwize:1e-5'] }, () => {}),
    /unknown option "layerwize" in "racecar:layerwize:1e-5" — racecar accepts sum, mean, full, layerwise/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), optimizer: 'adam:lr=5:beta=9' }, () => {}),
    /unknown option "lr" in "adam:lr=5:beta=9" — adam accepts beta1=…, beta2=…, epsilon=…/,
  );
  await assert.rejects(
    trainAction(
      { ...flags('unused'), optimizer: 'cola-ud:h=0.3:gamma=1:tau=0', lr: 0.1 },
      () => {},
    ),
    /cola-ud takes no learning rate/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), track: ['mi:kde:1'] }, () => {}),
    /mi takes no number/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), reg: ['foo:1'] }, () => {}),
    /unknown regularization term "foo" — choose one of: .*racecar/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), optimizer: 'adamw' }, () => {}),
    /unknown optimizer "adamw"/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), model: 'vgg' }, () => {}),
    /unknown model "vgg"/,
  );
  await assert.rejects(
    trainAction({ ...flags('unused'), model: 'resnet' }, () => {}),
    /"resnet" needs depth/,
  );
});

test('--track mi:kde and --track mi@dense_1 behave as documented; config.json stores canonical specs', async () => {
  for (const [track, keys] of [
    [['mi:kde'], ['mi/dense_1/ity', 'mi/dense_1/ixt', 'mi/dense_2/ity', 'mi/dense_2/ixt']],
    [['mi@dense_1'], ['mi/dense_1/ity', 'mi/dense_1/ixt']],
  ] as const) {
    const out = await mkdtemp(path.join(tmpdir(), 'reglab-track-'));
    try {
      await trainAction(
        { ...flags(out), epochs: 1, reg: ['racecar:sum:1e-6'], track: [...track] },
        () => {},
      );
      const metrics = JSON.parse((await readFile(path.join(out, 'metrics.jsonl'), 'utf8')).trim());
      assert.deepEqual(Object.keys(metrics.monitors).sort(), keys);
      const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
      assert.equal(config.format, 2);
      assert.deepEqual(config.regs, ['racecar:1e-6'], 'the default `sum` is left out');
      assert.deepEqual(config.track, track);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
});
