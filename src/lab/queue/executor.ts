/**
 * `compare --queue`: the coordinator. It sends the experiment's unfinished cells to the queue
 * as one BullMQ flow (a parent in `experiments` gathering the cells; a transfer is the parent
 * of its run, so it starts from the run's weights as soon as that finishes), then polls the
 * cells' states, writes each finished cell's files into its run folder here (workers share no
 * disk with it), and hands `compare` the outcomes: the same run folders, the same table.
 *
 * Safe to stop and to run again. A lock in Redis (lab/queue/lock.ts) admits one coordinator
 * per experiment. Cells keep fixed job ids, so a re-run adopts what an earlier call left on
 * the queue: finished jobs are collected, running ones waited for, failed ones retried (with
 * fresh attempts); only cells without a job are enqueued. When every cell has ended, the
 * experiment's jobs are removed from Redis (the folder holds everything); a cell that failed
 * is enqueued afresh by the next run. If Redis does not answer for `giveUpMs`, or loses the
 * jobs (restarted without its data), the coordinator stops with an error naming the URL; the
 * cells it collected are in the folder and the next run enqueues the rest.
 */
import path from 'node:path';
import { FlowProducer, Job, Queue, type FlowJobNode, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { ReglabError } from '../../core/errors.js';
import type { CellExecutor, CellExecutorFactory, ExecutorContext } from '../executor.js';
import { finishedOutcome } from '../executor.js';
import type { RunCell } from '../matrix.js';
import type { CellOutcome } from '../results.js';
import { readRunArtefacts, writeRunArtefacts } from '../run-folder.js';
import { connectRedis, explainRedisError, parseQueueUrl, type QueueAddress } from './connection.js';
import {
  CELLS_QUEUE,
  cellJobId,
  decodeFiles,
  DEFAULT_ATTEMPTS,
  DEFAULT_RESULT_CAP,
  encodeFiles,
  EXPERIMENTS_QUEUE,
  experimentId,
  INIT_FILES,
  QUEUE_PREFIX,
  type CellJobData,
  type CellJobResult,
  type EncodedFiles,
  type ExperimentJobData,
} from './jobs.js';
import { CoordinatorLock, DEFAULT_LOCK_TTL_MS } from './lock.js';

export interface QueueExecutorOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Attempts per cell before it counts as failed (default 3). */
  attempts?: number;
  /** The most bytes one cell's files may take (default 64 MiB); more fails the cell. */
  resultCap?: number;
  /** How often the cells' states are read (ms, default 500). */
  pollMs?: number;
  /** Stop when Redis has not answered for this long (ms, default 15 s). */
  giveUpMs?: number;
  /** Time to live of the coordinator's lock (ms, default 30 s). */
  lockTtlMs?: number;
  /** Called when the counts change. */
  onProgress?: (progress: QueueProgress) => void;
}

/** Where the queued cells stand. */
export interface QueueProgress {
  /** The experiment's id on the queue. */
  experiment: string;
  /** Cells on the queue in this call. */
  total: number;
  done: number;
  running: number;
  waiting: number;
  failed: number;
  /** Per worker that ran or runs a cell of this call. */
  workers: { name: string; running: number; done: number }[];
}

/** The executor of `compare --queue`. */
export function queueExecutor(options: QueueExecutorOptions): CellExecutorFactory {
  parseQueueUrl(options.url); // a malformed URL fails here, before compare writes anything
  return (context) => Coordinator.start(options, context);
}

/** A promise with its settle functions. */
interface Tracked {
  cell: RunCell;
  jobId: string;
  promise: Promise<CellOutcome>;
  resolve: (outcome: CellOutcome) => void;
  reject: (err: unknown) => void;
  /** The last state seen; `settled` once the outcome is known. */
  state: string;
  settled?: CellOutcome;
  /** The worker running it (while active) or that ran it. */
  worker?: string;
}

const JOB_STATES_WITH_ROOTS = [
  'waiting-children',
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'completed',
  'failed',
] as const;

class Coordinator implements CellExecutor {
  readonly slots: number;
  readonly description: string;
  private readonly tracked = new Map<string, Tracked>();
  /** Transfers whose run was left on the queue by an earlier call: enqueued when it ends. */
  private readonly deferred = new Set<string>();
  private readonly cellsQueue: Queue<CellJobData, CellJobResult>;
  private readonly experimentsQueue: Queue<ExperimentJobData>;
  private readonly flow: FlowProducer;
  private lock?: CoordinatorLock;
  private aborted?: ReglabError;
  private stopped = false;
  private loop?: Promise<void>;
  private lastProgress = '';

  private constructor(
    private readonly options: QueueExecutorOptions,
    private readonly context: ExecutorContext,
    private readonly address: QueueAddress,
    private readonly redis: Redis,
    private readonly id: string,
  ) {
    this.slots = Math.max(1, context.cells.length);
    this.description = `on the queue ${address.display} (experiment ${id})`;
    const queueOptions = { connection: redis, prefix: QUEUE_PREFIX };
    this.cellsQueue = new Queue(CELLS_QUEUE, queueOptions);
    this.experimentsQueue = new Queue(EXPERIMENTS_QUEUE, queueOptions);
    this.flow = new FlowProducer(queueOptions);
  }

  /** Connects, takes the experiment's lock, enqueues the cells and starts polling. */
  static async start(
    options: QueueExecutorOptions,
    context: ExecutorContext,
  ): Promise<Coordinator> {
    const address = parseQueueUrl(options.url);
    const redis = await connectRedis(address);
    const id = experimentId(context.experiment, context.backend);
    const coordinator = new Coordinator(options, context, address, redis, id);
    try {
      coordinator.lock = await CoordinatorLock.acquire(redis, id, {
        out: context.out,
        ttlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
        onLost: (err) => coordinator.abort(err),
      });
      await coordinator.enqueue();
    } catch (err) {
      await coordinator.disconnect();
      throw explainRedisError(address, err);
    }
    coordinator.loop = coordinator.pollUntilStopped();
    return coordinator;
  }

  async train(cell: RunCell): Promise<CellOutcome> {
    if (this.aborted) throw this.aborted;
    if (this.deferred.has(cell.id)) {
      this.deferred.delete(cell.id);
      const node = await this.leaf(cell);
      await this.cellsQueue.add(node.name, node.data as CellJobData, node.opts);
      this.track(cell);
    }
    const tracked = this.tracked.get(cell.id);
    if (!tracked) throw new Error(`cell ${cell.id} was not sent to the queue`);
    return tracked.promise;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (!this.aborted && this.allEnded()) {
      await this.removeJobs().catch((err: Error) =>
        this.context.log(`could not remove the experiment's jobs from the queue: ${err.message}`),
      );
    }
    await this.disconnect();
  }

  // ---- enqueueing ------------------------------------------------------------------------

  private async enqueue(): Promise<void> {
    const { cells, finished, log } = this.context;
    const pending = cells.filter((cell) => !finished.has(cell.id));
    const fresh: RunCell[] = [];
    for (const cell of pending) {
      const job = await Job.fromId<CellJobData, CellJobResult>(this.cellsQueue, this.jobId(cell));
      if (!job) {
        fresh.push(cell);
        continue;
      }
      const state = await job.getState();
      if (state === 'failed') {
        log(`${cell.id}: failed on the queue before (${job.failedReason}); retrying`);
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      } else if (state !== 'completed') {
        log(`${cell.id}: already on the queue (${state}), adopted`);
      }
      this.track(cell);
    }
    const freshIds = new Set(fresh.map((cell) => cell.id));
    const runsWithTransfer = new Set(fresh.flatMap((cell) => (cell.after ? [cell.after] : [])));
    const children: FlowJobNode[] = [];
    for (const cell of fresh) {
      if (cell.after && freshIds.has(cell.after)) {
        const run = cells.find((c) => c.id === cell.after)!;
        children.push({ ...this.node(cell, 'child'), children: [this.node(run)] });
      } else if (cell.after && !finished.has(cell.after)) {
        this.deferred.add(cell.id);
        continue;
      } else if (cell.after) {
        children.push(await this.leaf(cell));
      } else if (!runsWithTransfer.has(cell.id)) {
        children.push(this.node(cell));
      }
    }
    if (children.length > 0) {
      const data: ExperimentJobData = {
        experiment: this.id,
        out: this.context.out,
        coordinator: `${hostname()}:${process.pid}`,
        methods: this.context.experiment.methods.map((m) => m.label),
        seeds: this.context.experiment.seeds,
      };
      await this.flow.add({
        name: 'experiment',
        queueName: EXPERIMENTS_QUEUE,
        data,
        opts: { jobId: `${this.id}.${Date.now()}` },
        children,
      });
      for (const cell of fresh) if (!this.deferred.has(cell.id)) this.track(cell);
    }
    log(
      `queue ${this.address.display}: experiment ${this.id}, ${fresh.length - this.deferred.size} cell(s) enqueued, ${pending.length - fresh.length} adopted`,
    );
  }

  private jobId(cell: RunCell): string {
    return cellJobId(this.id, cell);
  }

  /** A cell's job; a transfer's config names its run's folder here, as a local run does. */
  private node(cell: RunCell, init?: CellJobData['init']): FlowJobNode & { opts: JobsOptions } {
    const config = cell.after
      ? { ...cell.config, init: path.join(this.context.out, cell.after) }
      : cell.config;
    const data: CellJobData = {
      experiment: this.id,
      out: this.context.out,
      cell: { ...cell, config },
      backend: this.context.backend,
      resultCap: this.options.resultCap ?? DEFAULT_RESULT_CAP,
      init,
    };
    return {
      name: cell.id,
      queueName: CELLS_QUEUE,
      data,
      opts: {
        jobId: this.jobId(cell),
        attempts: this.options.attempts ?? DEFAULT_ATTEMPTS,
        removeOnComplete: false,
        removeOnFail: false,
      },
    };
  }

  /** A transfer whose run finished here: its weights travel in the job. */
  private async leaf(cell: RunCell): Promise<FlowJobNode & { opts: JobsOptions }> {
    const files = await readRunArtefacts(path.join(this.context.out, cell.after!));
    const init: EncodedFiles = encodeFiles(
      Object.fromEntries(INIT_FILES.map((name) => [name, files[name]])),
      this.options.resultCap ?? DEFAULT_RESULT_CAP,
    );
    return this.node(cell, init);
  }

  private track(cell: RunCell): void {
    let resolve!: (outcome: CellOutcome) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<CellOutcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // a transfer whose run failed is never awaited
    this.tracked.set(cell.id, {
      cell,
      jobId: this.jobId(cell),
      promise,
      resolve,
      reject,
      state: 'new',
    });
  }

  // ---- polling ---------------------------------------------------------------------------

  private async pollUntilStopped(): Promise<void> {
    const pollMs = this.options.pollMs ?? 500;
    const giveUpMs = this.options.giveUpMs ?? 15_000;
    let lastAnswer = Date.now();
    let lastError = 'no answer';
    while (!this.stopped && !this.aborted) {
      try {
        await withTimeout(this.poll(), giveUpMs);
        lastAnswer = Date.now();
      } catch (err) {
        if (err instanceof ReglabError) return this.abort(err);
        lastError = (err as Error).message;
      }
      if (Date.now() - lastAnswer > giveUpMs) {
        const collected = [...this.tracked.values()].filter((t) => t.settled?.status === 'done');
        return this.abort(
          new ReglabError(
            `lost the queue: Redis at ${this.address.display} has not answered for ${Math.round(giveUpMs / 1000)} s (${lastError})`,
            `check that redis-server is still running there; then run the same command again: the ${this.context.finished.size + collected.length} finished cell(s) in ${this.context.out} are kept and the rest are enqueued again`,
          ),
        );
      }
      await sleep(pollMs);
    }
  }

  /** Reads the state of every unsettled cell and settles the ended ones. */
  private async poll(): Promise<void> {
    const open = [...this.tracked.values()].filter((t) => !t.settled);
    const states = await Promise.all(open.map((t) => this.cellsQueue.getJobState(t.jobId)));
    for (const [k, tracked] of open.entries()) {
      const state = states[k];
      const changed = state !== tracked.state;
      tracked.state = state;
      if (state === 'unknown')
        throw new ReglabError(
          `the queue at ${this.address.display} lost the job of cell ${tracked.cell.id} (was Redis restarted without its data, or the job removed?)`,
          `run the same command again: the finished cells in ${this.context.out} are kept and the rest are enqueued again`,
        );
      if (state === 'completed') await this.collect(tracked);
      else if (state === 'failed') await this.fail(tracked);
      else if (state === 'active' && changed) {
        const job = await Job.fromId(this.cellsQueue, tracked.jobId);
        tracked.worker = job?.processedBy ?? '?';
      }
    }
    this.reportProgress();
  }

  /** Writes a finished cell's files into its run folder and settles it. */
  private async collect(tracked: Tracked): Promise<void> {
    const job = await Job.fromId<CellJobData, CellJobResult>(this.cellsQueue, tracked.jobId);
    const value = job?.returnvalue;
    if (!value?.files) throw new Error(`job ${tracked.jobId} is completed but has no result yet`);
    const { cell } = tracked;
    const init = cell.after ? path.join(this.context.out, cell.after) : undefined;
    await writeRunArtefacts(path.join(this.context.out, cell.id), decodeFiles(value.files), init);
    tracked.worker = job?.processedBy ?? tracked.worker;
    this.settle(tracked, finishedOutcome(cell, value.result, false));
  }

  private async fail(tracked: Tracked): Promise<void> {
    const job = await Job.fromId(this.cellsQueue, tracked.jobId);
    const attempts = job?.attemptsMade ?? 0;
    tracked.worker = job?.processedBy ?? tracked.worker;
    this.settle(tracked, {
      cell: tracked.cell,
      status: 'failed',
      error: `${job?.failedReason ?? 'failed'} (${attempts} attempt${attempts === 1 ? '' : 's'}${tracked.worker ? `, last on ${tracked.worker}` : ''})`,
    });
  }

  private settle(tracked: Tracked, outcome: CellOutcome): void {
    tracked.settled = outcome;
    tracked.resolve(outcome);
  }

  private reportProgress(): void {
    if (!this.options.onProgress) return;
    const all = [...this.tracked.values()];
    const workers = new Map<string, { name: string; running: number; done: number }>();
    const worker = (name: string) => {
      if (!workers.has(name)) workers.set(name, { name, running: 0, done: 0 });
      return workers.get(name)!;
    };
    for (const t of all) {
      if (t.settled?.status === 'done' && t.worker) worker(t.worker).done += 1;
      else if (!t.settled && t.state === 'active' && t.worker) worker(t.worker).running += 1;
    }
    const progress: QueueProgress = {
      experiment: this.id,
      total: all.length + this.deferred.size,
      done: all.filter((t) => t.settled?.status === 'done').length,
      failed: all.filter((t) => t.settled?.status === 'failed').length,
      running: all.filter((t) => !t.settled && t.state === 'active').length,
      waiting: all.filter((t) => !t.settled && t.state !== 'active').length + this.deferred.size,
      workers: [...workers.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
    const text = JSON.stringify(progress);
    if (text !== this.lastProgress) this.options.onProgress(progress);
    this.lastProgress = text;
  }

  // ---- ending ----------------------------------------------------------------------------

  /** Stops with `err`: every cell still waited for rejects with it. */
  private abort(err: ReglabError): void {
    if (this.aborted) return;
    this.aborted = err;
    for (const t of this.tracked.values()) if (!t.settled) t.reject(err);
  }

  /** Whether every cell ended (a transfer whose run failed counts: it will never start). */
  private allEnded(): boolean {
    return [...this.tracked.values()].every(
      (t) =>
        t.settled !== undefined ||
        (t.cell.after !== undefined &&
          this.tracked.get(t.cell.after)?.settled?.status === 'failed'),
    );
  }

  /** Removes the experiment's flows (parents with their cells) and stray cell jobs. */
  private async removeJobs(): Promise<void> {
    const roots = await this.experimentsQueue.getJobs([...JOB_STATES_WITH_ROOTS]);
    for (const root of roots) if (root.data.experiment === this.id) await root.remove();
    for (const t of this.tracked.values()) {
      const job = await Job.fromId(this.cellsQueue, t.jobId);
      if (job) await job.remove();
    }
  }

  private async disconnect(): Promise<void> {
    await this.lock?.release().catch(() => {});
    await Promise.all(
      [this.cellsQueue, this.experimentsQueue, this.flow].map((q) =>
        withTimeout(q.close(), 2000).catch(() => {}),
      ),
    );
    this.redis.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
