/**
 * Run-folder rules (issue 17, classes 1, 7 and 8): a failed run does not block its fix, a
 * finished run can be extended, one writer at a time (stale locks taken over), leftovers of an
 * interrupted writer cleaned, every file's format and schema checked at read time.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockFolder } from '../../src/core/lock.js';
import { trainRun } from '../../src/lab/run.js';
import type { RunConfig } from '../../src/lab/run-config.js';
import {
  openRunForWriting,
  readExperiment,
  readMetrics,
  readResult,
  readRunConfig,
} from '../../src/lab/run-folder.js';
import { canonicalRunConfig } from '../../src/lab/run-config.js';
import { useBackend } from '../support.js';

before(() => useBackend('cpu'));

const base: RunConfig = {
  dataset: 'peak',
  trainSize: 40,
  testSize: 20,
  model: 'mlp:4',
  epochs: 2,
  batchSize: 20,
  optimizer: 'adam',
  seed: 2,
};

async function withFolder(body: (dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'reglab-folder-'));
  try {
    await body(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('a run whose first epoch failed leaves a folder its corrected command re-uses; a bad term writes nothing', async () => {
  await withFolder(async (root) => {
    const out = path.join(root, 'run');
    // the issue's example: a learning rate that diverges in the first epoch…
    await assert.rejects(
      trainRun({ ...base, optimizer: 'sgd', lr: 1e30 }, out),
      /loss became .* lower the learning rate/,
    );
    assert.deepEqual(await readdir(out), ['config.json'], 'only the config, and no lock');
    // …then the fix the message advises, in the same folder
    const lines: string[] = [];
    const result = await trainRun({ ...base, optimizer: 'sgd', lr: 1e-3 }, out, {
      log: (line) => lines.push(line),
    });
    assert.equal(result.epochs, 2);
    assert.ok(
      lines.some((l) => /held a different run that never finished an epoch \(lr differ\)/.test(l)),
      lines.join('\n'),
    );
    assert.equal((await readRunConfig(out)).lr, 1e-3);
    // a run that finished an epoch is protected: a different config is refused, naming the field
    await assert.rejects(
      trainRun({ ...base, optimizer: 'sgd', lr: 1e-2 }, out),
      /holds a different run \(lr: 0\.001 there, 0\.01 now\)/,
    );
    // errors found while building the run (a term that does not exist, a constraint matching
    // no layer) write nothing at all
    const fresh = path.join(root, 'fresh');
    await assert.rejects(
      trainRun({ ...base, regs: ['racecar:layerwize:1e-5'] }, fresh),
      /layerwize/,
    );
    await assert.rejects(
      trainRun({ ...base, optimizer: 'cola-od:h=0.01', constraints: ['sphere:1@dense_9'] }, fresh),
      /matches no variable/,
    );
    await assert.rejects(readdir(fresh), /ENOENT/, 'the folder was never created');
  });
});

test('a finished run extended with more --epochs equals a run trained that long at once', async () => {
  await withFolder(async (root) => {
    const extended = path.join(root, 'extended');
    await trainRun(base, extended);
    const lines: string[] = [];
    const longer = await trainRun({ ...base, epochs: 3 }, extended, { log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /extending the run from 2 to 3 epochs \(2 trained\)/.test(l)));
    const whole = await trainRun({ ...base, epochs: 3 }, path.join(root, 'whole'));
    assert.equal(longer.testLoss, whole.testLoss);
    assert.deepEqual(
      (await readMetrics(extended)).map((m) => m.loss),
      whole.history.map((m) => m.loss),
    );
    assert.deepEqual(
      await readFile(path.join(extended, 'weights.bin')),
      await readFile(path.join(root, 'whole', 'weights.bin')),
    );
    assert.equal((await readResult(extended))?.epochs, 3);
    await assert.rejects(
      trainRun({ ...base, epochs: 1 }, extended),
      /already trained 3 epochs; --epochs 1 would go back — ask for --epochs 3 or more/,
    );
  });
});

test('opening a folder cleans an interrupted writer: temporaries, checkpoint files nobody names', async () => {
  await withFolder(async (root) => {
    const out = path.join(root, 'run');
    await trainRun({ ...base, epochs: 1 }, out);
    await writeFile(path.join(out, 'checkpoint.json.123.456.tmp'), 'half');
    await writeFile(path.join(out, 'checkpoint-7.bin'), 'orphan');
    const lines: string[] = [];
    const writer = await openRunForWriting(out, canonicalRunConfig({ ...base, epochs: 1 }), (l) =>
      lines.push(l),
    );
    await writer.release();
    assert.deepEqual(
      (await readdir(out)).filter((n) => /tmp|checkpoint-7/.test(n)),
      [],
    );
    assert.match(
      lines.join('\n'),
      /removed an interrupted write's checkpoint\.json\.123\.456\.tmp, checkpoint-7\.bin/,
    );
  });
});

test('one writer per folder: a second gets a clear error, a dead writer’s lock is taken over', async () => {
  await withFolder(async (root) => {
    const out = path.join(root, 'run');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'fixtures', 'train-child.ts'),
        JSON.stringify({ ...base, epochs: 50 }),
        out,
      ],
      { env: { ...process.env, REGLAB_TEST_SLOW: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = await new Promise<number>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /started (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      }),
    );
    await assert.rejects(
      trainRun({ ...base, epochs: 50 }, out),
      new RegExp(
        `run folder ${out} is in use by process ${pid} \\(since .*\\) — wait for it to finish`,
      ),
    );
    const killed = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await killed;
    assert.ok((await readdir(out)).includes('.lock'), 'a SIGKILL leaves the lock');
    const lock = await lockFolder(out, 'run folder'); // stale: taken over
    assert.equal(JSON.parse(await readFile(lock.file, 'utf8')).pid, process.pid);
    await assert.rejects(lockFolder(out, 'run folder'), /in use by process/);
    await lock.release();
    // a lock of another host is never taken over
    await writeFile(lock.file, JSON.stringify({ pid: 1, host: 'elsewhere', since: 'today' }));
    await assert.rejects(
      lockFolder(out, 'run folder'),
      /in use by process 1 on host elsewhere .* delete .*\.lock/,
    );
  });
});

test('files are checked at read time: a newer format says upgrade, a damaged field is named', async () => {
  await withFolder(async (root) => {
    const dir = path.join(root, 'run');
    await mkdir(dir);
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ format: 9, ...base }));
    await assert.rejects(
      readRunConfig(dir),
      /config\.json has format 9, but this reglab reads formats 1 to 2 — upgrade reglab/,
    );
    await writeFile(config, JSON.stringify({ format: 2, ...base, epochs: '3' }));
    await assert.rejects(
      readRunConfig(dir),
      /config\.json: epochs is "3", expected a whole number/,
    );
    await writeFile(config, JSON.stringify({ ...base, optimizer: undefined }));
    assert.equal(
      (await readRunConfig(dir)).optimizer,
      'adam',
      'format 1 without an optimizer: adam',
    );
    await writeFile(path.join(dir, 'metrics.jsonl'), '{"epoch":1,"loss":"low"}\n');
    await assert.rejects(
      readMetrics(dir),
      /metrics\.jsonl line 1: loss is "low", expected a number/,
    );
    const experiment = path.join(root, 'experiment.json');
    await writeFile(experiment, JSON.stringify({ format: 3, base, methods: [], seeds: [1] }));
    await assert.rejects(
      readExperiment(root),
      /experiment\.json has format 3, but this reglab reads formats 1 to 2/,
    );
    await writeFile(experiment, JSON.stringify({ base, methods: [{ label: 'std' }], seeds: [1] }));
    await assert.rejects(
      readExperiment(root),
      /experiment\.json: methods\[0\]\.regs is missing, expected a list/,
    );
  });
});
