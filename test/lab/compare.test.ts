import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compare } from '../../src/lab/compare.js';
import type { ExperimentConfig } from '../../src/lab/matrix.js';
import { useBackend } from '../support.js';

before(() => useBackend());

// The peak set and a linear model keep each child run to a second or two.
const experiment: ExperimentConfig = {
  base: { dataset: 'peak', model: 'linear', epochs: 1, batchSize: 20, optimizer: 'adam', lr: 1e-3 },
  methods: [
    { label: 'std', regs: [] },
    // A learning rate this large overflows to a non-finite loss: the run fails in its worker.
    { label: 'diverges', regs: [], optimizer: 'sgd', lr: 1e38 },
  ],
  seeds: [1, 2],
};

test('compare runs the matrix in child processes, reports failures and resumes without losing finished runs', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'reglab-compare-'));
  try {
    const lines: string[] = [];
    const first = await compare(experiment, {
      out,
      backend: 'cpu',
      workers: 2,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(
      first.cells.map((c) => c.status),
      ['done', 'done', 'failed', 'failed'],
    );
    assert.match(first.failed[0].error ?? '', /loss became/);
    assert.ok(lines.some((l) => /diverges seed 1: FAILED/.test(l)));
    assert.equal(first.table.rows.find((r) => r.method === 'std')?.accuracy?.n, 2);
    for (const file of [
      'results.json',
      'results.csv',
      'results.md',
      'std-s1/result.json',
      'std-s1/model.json',
    ]) {
      assert.ok(existsSync(path.join(out, file)), `${file} written`);
    }
    // An interrupted run leaves no result.json: simulate it, then resume.
    await rm(path.join(out, 'std-s2', 'result.json'));
    const second = await compare(experiment, { out, backend: 'cpu', workers: 2, log: () => {} });
    assert.deepEqual(
      second.cells.map((c) => c.status),
      ['cached', 'done', 'failed', 'failed'],
    );
    await assert.rejects(
      compare({ ...experiment, seeds: [3] }, { out, backend: 'cpu', workers: 1, log: () => {} }),
      /holds a different experiment/,
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
