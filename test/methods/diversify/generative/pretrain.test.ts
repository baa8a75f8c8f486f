import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Random } from '../../../../src/core/random.js';
import { buildModel } from '../../../../src/models/zoo.js';
import { copyWeightsFrom } from '../../../../src/lab/run.js';
import { parseDrFlag, registerPretrainCommand } from '../../../../src/cli/commands/pretrain.js';
import { useBackend } from '../../../support.js';

before(() => useBackend());

test('--dr parses divergence, cap and λ, and rejects unknown divergences', () => {
  assert.deepEqual(parseDrFlag('hellinger:maxPairs=64:0.5'), {
    divergence: 'hellinger',
    lambda: 0.5,
    maxPairs: 64,
  });
  assert.throws(() => parseDrFlag('kl:1'), /unknown divergence "kl"/);
});

test('reglab pretrain writes a run folder that train --init loads', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-pretrain-'));
  try {
    const out = path.join(dir, 'PRETRAIN');
    const program = new Command().exitOverride();
    registerPretrainCommand(program);
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await program.parseAsync(
        [
          'pretrain',
          '--dataset',
          'peak',
          '--train-size',
          '20',
          '--layers',
          '8,6',
          '--epochs',
          '2',
          '--batch-size',
          '10',
          '--dr',
          'bhattacharyya:0.01',
          '--seed',
          '1',
          '--backend',
          'cpu',
          '--out',
          out,
        ],
        { from: 'user' },
      );
    } finally {
      console.log = log;
    }
    const metrics = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      metrics.map((m) => [m.level, m.epoch]),
      [
        [1, 1],
        [1, 2],
        [2, 1],
        [2, 2],
      ],
    );
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    assert.equal(config.model, 'mlp:8,6');
    assert.deepEqual(config.dr, { divergence: 'bhattacharyya', lambda: 0.01 });
    const model = buildModel('mlp:8,6', {
      inputShape: [28, 28, 1],
      numClasses: 2,
      rng: new Random(3),
      activation: 'sigmoid',
    });
    const before = model.getLayer('dense_1').getWeights()[0].dataSync().slice();
    await copyWeightsFrom(model, out);
    assert.notDeepEqual(model.getLayer('dense_1').getWeights()[0].dataSync(), before);
    assert.ok(lines.some((l) => l.includes('--init')));
    model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
