/**
 * `npx tsx bench/queue-overhead.ts [--cells 40]`
 *
 * What the queue adds per cell, without training: a coordinator (`compare` with
 * `queueExecutor`) sends N cells to a private redis-server; one BullMQ worker in this process
 * answers each job at once with the files of a real finished run (trained once up front by a local `compare`:
 * MNIST 1,000 images, mlp:64, 1 epoch — 200 KB of weights); the coordinator collects and writes
 * them. Wall time / N is the round trip of one cell through the queue machinery (enqueue,
 * pickup, result transfer, polling, writing the run folder), for poll intervals 100 and 500 ms.
 * Writes bench/results/queue-overhead.json.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { compare, queueExecutor, type ExperimentConfig } from '../src/index.js';
import { startRedis } from '../test/lab/queue-support.js';

// The queue's protocol (src/lab/queue/jobs.ts): the cells queue under the prefix `reglab`, and
// a result of {result, files: base64 by name}; this bench plays a worker that answers at once.
const CELLS_QUEUE = 'cells';
const QUEUE_PREFIX = 'reglab';
const RUN_FILES = ['config.json', 'metrics.jsonl', 'model.json', 'weights.bin', 'result.json'];

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
const trained = path.join(scratch, 'trained');
const one = await compare(
  { base, methods: [{ label: 'std', regs: [] }], seeds: [1] },
  { out: trained, backend: 'cpu', log: () => {}, workers: 1 },
);
if (one.failed.length) throw new Error(one.failed[0].error);
const run = path.join(trained, one.cells[0].cell.id);
const read = (name: string) => readFile(path.join(run, name));
const canned = {
  result: JSON.parse((await read('result.json')).toString()) as unknown,
  files: Object.fromEntries(
    await Promise.all(RUN_FILES.map(async (name) => [name, (await read(name)).toString('base64')])),
  ),
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
