/**
 * Crash safety and exact resume (issue 17, classes 5 and 6): a run is killed with SIGKILL at an
 * injected point (`REGLAB_CRASH_AT`, core/fs.ts) — during an atomic rename, after the checkpoint
 * is written, after it is committed but before the metrics line — then resumed; its folder and
 * result must equal an uninterrupted run's bit for bit (only wall-clock `seconds` differ), for
 * every optimizer: sgd, momentum, adam, rmsprop, cola-ud and cola-od with a constraint.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trainRun } from '../../src/lab/run.js';
import { readMetrics } from '../../src/lab/run-folder.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import type { RunConfig } from '../../src/lab/run-config.js';
import { useBackend } from '../support.js';

before(() => useBackend('cpu'));

const child = path.join(import.meta.dirname, 'fixtures', 'train-child.ts');

/** 60 samples in batches of 12: 5 steps an epoch, so Adam resumes at t = 5, 10 (see checkpoint.test.ts). */
const base: RunConfig = {
  dataset: 'peak',
  trainSize: 60,
  testSize: 20,
  model: 'mlp:6',
  epochs: 3,
  batchSize: 12,
  optimizer: 'adam',
  seed: 5,
};

/** Runs `config` in a child that kills itself at `crashAt`; returns its exit signal. */
function crashingRun(config: RunConfig, out: string, crashAt: string): NodeJS.Signals | null {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', child, JSON.stringify(config), out],
    {
      env: { ...process.env, REGLAB_CRASH_AT: crashAt },
      encoding: 'utf8',
    },
  );
  assert.equal(result.signal, 'SIGKILL', `the run was killed at ${crashAt}: ${result.stderr}`);
  return result.signal;
}

/**
 * Every file of a run folder, with the wall-clock `seconds` fields zeroed in the JSON ones and
 * the names TF.js makes unique per process left out: the model's `sequential_<n>` and the
 * variable suffix in optimizer weight names (`dense_1/kernel_4/m`: the 4th model of the process).
 */
async function folderContents(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const clean = (text: string) =>
    JSON.stringify(JSON.parse(text), (key, value: unknown) =>
      key === 'seconds'
        ? 0
        : key === 'name' && typeof value === 'string'
          ? value.replace(/^sequential_\d+$/, '').replace(/^([^/]+\/[^/]+?)_\d+\//, '$1/')
          : value,
    );
  for (const name of (await readdir(dir)).sort()) {
    const bytes = await readFile(path.join(dir, name));
    const text = bytes.toString('utf8');
    files.set(
      name,
      name.endsWith('.bin')
        ? bytes.toString('base64')
        : name.endsWith('.jsonl')
          ? text.trim().split('\n').map(clean).join('\n')
          : clean(text),
    );
  }
  return files;
}

/**
 * Each scenario: where the run dies and what the killed run left — the epoch its checkpoint
 * holds, the lines its metrics file holds, and its leftovers (besides the stale lock).
 */
const scenarios: {
  optimizer: string;
  constraints?: string[];
  track?: string[];
  crashAt: string;
  left: { checkpoint: number; metrics: number; leftovers: RegExp[] };
}[] = [
  // the case: checkpoint committed, metrics line not yet written
  {
    optimizer: 'adam',
    crashAt: 'checkpoint:committed#1',
    left: { checkpoint: 1, metrics: 0, leftovers: [] },
  },
  // the new manifest written to its temporary, not renamed: epoch 2 is lost, epoch 1 intact
  {
    optimizer: 'sgd',
    crashAt: 'rename:checkpoint.json#2',
    left: {
      checkpoint: 1,
      metrics: 1,
      leftovers: [/^checkpoint-2\.bin$/, /^checkpoint\.json\.\d+\.\d+\.tmp$/],
    },
  },
  // manifest renamed, the previous checkpoint's .bin not yet deleted
  {
    optimizer: 'momentum',
    crashAt: 'checkpoint:written#2',
    left: { checkpoint: 2, metrics: 1, leftovers: [/^checkpoint-1\.bin$/] },
  },
  // the metrics file's temporary written, not renamed
  {
    // with a monitor that draws random numbers: its values must resume exactly too
    optimizer: 'rmsprop',
    track: ['activations'],
    crashAt: 'rename:metrics.jsonl#2',
    left: { checkpoint: 2, metrics: 1, leftovers: [/^metrics\.jsonl\.\d+\.\d+\.tmp$/] },
  },
  {
    optimizer: 'cola-ud:h=0.05:gamma=1:tau=1e-4',
    constraints: ['circle:0.5@dense_1'],
    // the last epoch: nothing is left to train, the metrics line must come from the checkpoint
    crashAt: 'checkpoint:committed#3',
    left: { checkpoint: 3, metrics: 2, leftovers: [] },
  },
  // the checkpoint data's temporary written, not renamed
  {
    optimizer: 'cola-od:h=0.01:tau=1e-4',
    constraints: ['sphere:1@dense_2/kernel'],
    crashAt: 'rename:checkpoint-2.bin#1',
    left: { checkpoint: 1, metrics: 1, leftovers: [/^checkpoint-2\.bin\.\d+\.\d+\.tmp$/] },
  },
];

test('a run killed at any injected point resumes to the folder and result of an uninterrupted run, bit for bit, for every optimizer', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'reglab-crash-'));
  try {
    for (const { optimizer, constraints, track, crashAt, left } of scenarios) {
      // (through JSON, as the child gets it: no keys with undefined values)
      const config = JSON.parse(
        JSON.stringify({ ...base, optimizer, constraints, track }),
      ) as RunConfig;
      const label = `${optimizer} killed at ${crashAt}`;
      const whole = path.join(root, `whole-${scenarios.findIndex((s) => s.crashAt === crashAt)}`);
      const expected = await trainRun(config, whole);
      const out = path.join(root, `crashed-${scenarios.findIndex((s) => s.crashAt === crashAt)}`);
      crashingRun(config, out, crashAt);
      const files = await readdir(out);
      assert.ok(files.includes('.lock'), `${label}: the killed writer's lock is left (stale)`);
      assert.equal(
        (await readCheckpointState(out))?.epoch,
        left.checkpoint,
        `${label}: checkpoint`,
      );
      assert.equal((await readMetrics(out)).length, left.metrics, `${label}: metrics lines left`);
      for (const leftover of left.leftovers)
        assert.ok(
          files.some((name) => leftover.test(name)),
          `${label}: ${leftover} left behind`,
        );
      const resumed = await trainRun(config, out);
      assert.deepEqual(
        resumed.history.map((m) => ({ ...m, seconds: 0 })),
        expected.history.map((m) => ({ ...m, seconds: 0 })),
        `${label}: same history`,
      );
      assert.equal(resumed.testLoss, expected.testLoss, `${label}: same test loss`);
      const [got, want] = [await folderContents(out), await folderContents(whole)];
      assert.deepEqual([...got.keys()], [...want.keys()], `${label}: same files (no leftovers)`);
      for (const [name, content] of want)
        assert.equal(got.get(name), content, `${label}: ${name} equal bit for bit`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
