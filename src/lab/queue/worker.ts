/**
 * `reglab worker`: takes cell jobs from the queue and trains each in its own child process
 * (lab/queue/processor.ts), `concurrency` at a time. Any number of
 * workers on any machines may serve one queue; they need the data sets, not a shared disk.
 *
 * Failures. A cell that throws is retried by BullMQ (the coordinator sets 3 attempts). A
 * worker that dies mid-cell (kill -9, a lost machine) stops renewing the cell's lock; after
 * `stallMs` another worker's stall check puts the cell back in the queue and it starts again
 * from the beginning (the checkpoint stays in the dead worker's temporary folder: a cell is
 * small next to a sweep, and a fresh start keeps its numbers independent of the worker).
 * A cell whose worker died {@link MAX_STALLS} times fails.
 */
import { availableParallelism, hostname } from 'node:os';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { processCell } from './processor.js';
import { connectRedis, parseQueueUrl, redisOptions } from './connection.js';
import { CELLS_QUEUE, QUEUE_PREFIX, type CellJobData, type CellJobResult } from './jobs.js';

/** How many times a cell may lose its worker before it fails (then BullMQ's stall limit). */
export const MAX_STALLS = 2;
/** Default lock duration and stall-check interval (BullMQ's default, 30 s). */
export const DEFAULT_STALL_MS = 30_000;

export interface QueueWorkerOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Cells at a time, each in its own process (default: the number of cores). */
  concurrency?: number;
  /**
   * How long a cell's lock lasts without renewal, and how often stalled cells are looked for
   * (ms): a dead worker's cell is taken over after one to two of these.
   */
  stallMs?: number;
  /** The worker's name in `queue status` (default `host:pid`). */
  name?: string;
  log?: (line: string) => void;
}

/** A running worker. */
export interface QueueWorker {
  name: string;
  concurrency: number;
  /** Stops taking cells, waits for the running ones, disconnects. */
  close(): Promise<void>;
}

/** Connects (failing with an explained error when the server cannot be reached) and starts. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const log = options.log ?? console.log;
  const address = parseQueueUrl(options.url);
  (await connectRedis(address)).disconnect();
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const concurrency = options.concurrency ?? availableParallelism();
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const connection = new Redis(redisOptions(address, { maxRetriesPerRequest: null }));
  connection.on('error', () => {}); // reported once per message by the worker's 'error' below
  const worker = new Worker<CellJobData, CellJobResult>(CELLS_QUEUE, processCell, {
    connection,
    prefix: QUEUE_PREFIX,
    name,
    concurrency,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    maxStalledCount: MAX_STALLS,
  });
  const cellName = (data: CellJobData) => `${data.cell.id} (experiment ${data.experiment})`;
  worker.on('active', (job) => log(`${cellName(job.data)}: training`));
  worker.on('completed', (job) => log(`${cellName(job.data)}: done`));
  worker.on('failed', (job, err) =>
    log(
      `${job ? cellName(job.data) : 'a cell'}: failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message}`,
    ),
  );
  let lastError = '';
  worker.on('error', (err) => {
    // Connection errors repeat while Redis is away; say each once.
    if (err.message !== lastError) log(`queue ${address.display}: ${err.message} (retrying)`);
    lastError = err.message;
  });
  await worker.waitUntilReady();
  log(`worker ${name}: ${concurrency} cell(s) at a time from ${address.display}`);
  return {
    name,
    concurrency,
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}
