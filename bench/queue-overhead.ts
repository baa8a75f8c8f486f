/**
 * `npx tsx bench/queue-overhead.ts [--cells 40]`
 *
 * What the queue adds per cell, without training: a coordinator (`compare` with
 * `queueExecutor`) sends N cells to a private redis-server; one BullMQ worker in this process
 * answers each job at once with the files of a real finished run (trained once up front:
 * MNIST 1,000 images, mlp:64, 1 epoch — 200 KB of weights); the coordinator collects and writes
 * them. Wall time / N is the round trip of one cell through the queue machinery (enqueue,
 * pickup, result transfer, polling, writing the run folder), for poll intervals 100 and 500 ms.
 * Writes bench/results/queue-overhead.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { compare, runInChild } from '../src/lab/compare.js';
import type { ExperimentConfig } from '../src/lab/matrix.js';
import { queueExecutor } from '../src/lab/queue/executor.js';
import {
  CELLS_QUEUE,
  encodeFiles,
  QUEUE_PREFIX,
  type CellJobResult,
} from '../src/lab/queue/jobs.js';
import { readRunArtefacts } from '../src/lab/run-folder.js';
import { startRedis } from '../test/lab/queue-support.js';

const args = process.argv.slice(2);
const k = args.indexOf('--cells');
const cells = k >= 0 ? Number(args[k + 1]) : 40;
const base: ExperimentConfig['base'] = {
  dataset: 'mnist',
  trainSize: 1000,
  testSize: 500,
  model: 'mlp:64',
  epochs: 1,
  batchSize: 64,
  optimizer: 'adam',
  lr: 1e-3,
};
const scratch = await mkdtemp(path.join(tmpdir(), 'reglab-bench-overhead-'));
const run = path.join(scratch, 'run');
const reply = await runInChild({
  config: { ...base, regs: [], seed: 1 },
  out: run,
  backend: 'cpu',
});
if (!reply.ok) throw new Error(reply.error);
const canned: CellJobResult = {
  result: reply.result,
  files: encodeFiles(await readRunArtefacts(run), 2 ** 26),
};

const redis = await startRedis();
const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
const worker = new Worker(CELLS_QUEUE, async () => canned, {
  connection,
  prefix: QUEUE_PREFIX,
  concurrency: 1,
});
const results: Record<string, number> = {};
try {
  for (const pollMs of [500, 100]) {
    const experiment: ExperimentConfig = {
      base: { ...base, epochs: pollMs === 100 ? 2 : 1 }, // another experiment id per round
      methods: [{ label: 'std', regs: [] }],
      seeds: Array.from({ length: cells }, (_, i) => i + 1),
    };
    const out = path.join(scratch, `out-${pollMs}`);
    const started = performance.now();
    const outcome = await compare(experiment, {
      out,
      backend: 'cpu',
      log: () => {},
      executor: queueExecutor({ url: redis.url, pollMs }),
    });
    const ms = (performance.now() - started) / cells;
    if (outcome.cells.some((c) => c.status !== 'done')) throw new Error('a cell did not finish');
    results[`pollMs ${pollMs}`] = ms;
    console.log(`pollMs ${pollMs}: ${cells} cells, ${ms.toFixed(1)} ms per cell`);
  }
} finally {
  await worker.close();
  connection.disconnect();
  await redis.stop();
  await rm(scratch, { recursive: true, force: true });
}
await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/queue-overhead.json',
  JSON.stringify({ cells, msPerCell: results }, null, 2),
);
