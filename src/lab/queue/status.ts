/**
 * `reglab queue status`: what a queue holds — the experiments on it (their flows and whether a
 * coordinator holds their lock), their cells with state, attempts and worker, and the workers
 * connected now.
 */
import { Queue } from 'bullmq';
import { connectRedis, explainRedisError, parseQueueUrl } from './connection.js';
import {
  CELLS_QUEUE,
  EXPERIMENTS_QUEUE,
  lockKey,
  QUEUE_PREFIX,
  type CellJobData,
  type ExperimentJobData,
} from './jobs.js';

/** One experiment on the queue. */
export interface ExperimentStatus {
  id: string;
  out: string;
  methods: string[];
  seeds: number[];
  /** Cells per state (`waiting`, `active`, `completed`, `failed`, …). */
  cells: Record<string, number>;
  /** The coordinator holding the lock (`host:pid`), if one does. */
  coordinator?: string;
}

/** One cell job. */
export interface CellStatus {
  experiment: string;
  cell: string;
  state: string;
  attempts: number;
  worker?: string;
  error?: string;
}

/** A worker connected to the queue. */
export interface WorkerStatus {
  name: string;
  address: string;
  /** Seconds connected. */
  age: number;
}

export interface QueueStatus {
  experiments: ExperimentStatus[];
  cells: CellStatus[];
  workers: WorkerStatus[];
}

const STATES = [
  'waiting-children',
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
] as const;

/** Reads the queue at `url`. */
export async function queueStatus(url: string): Promise<QueueStatus> {
  const address = parseQueueUrl(url);
  const redis = await connectRedis(address);
  const options = { connection: redis, prefix: QUEUE_PREFIX };
  const cellsQueue = new Queue<CellJobData>(CELLS_QUEUE, options);
  const experimentsQueue = new Queue<ExperimentJobData>(EXPERIMENTS_QUEUE, options);
  try {
    const cells: CellStatus[] = [];
    for (const state of STATES) {
      for (const job of await cellsQueue.getJobs([state])) {
        if (!job?.data?.cell) continue;
        cells.push({
          experiment: job.data.experiment,
          cell: job.data.cell.id,
          state,
          attempts: job.attemptsMade,
          worker: job.processedBy,
          error: state === 'failed' ? job.failedReason : undefined,
        });
      }
    }
    const experiments = new Map<string, ExperimentStatus>();
    for (const root of await experimentsQueue.getJobs([...STATES])) {
      const data = root?.data;
      if (!data?.experiment || experiments.has(data.experiment)) continue;
      const lock = await redis.get(lockKey(data.experiment));
      experiments.set(data.experiment, {
        id: data.experiment,
        out: data.out,
        methods: data.methods,
        seeds: data.seeds,
        cells: {},
        coordinator: lock ? (JSON.parse(lock) as { coordinator: string }).coordinator : undefined,
      });
    }
    for (const cell of cells) {
      const experiment = experiments.get(cell.experiment);
      if (experiment) experiment.cells[cell.state] = (experiment.cells[cell.state] ?? 0) + 1;
    }
    const workers = (await cellsQueue.getWorkers()).map((client) => ({
      name: String(client.rawname ?? '').split(':w:')[1] ?? String(client.rawname),
      address: String(client.addr),
      age: Number(client.age),
    }));
    cells.sort((a, b) => a.experiment.localeCompare(b.experiment) || a.cell.localeCompare(b.cell));
    return { experiments: [...experiments.values()], cells, workers };
  } catch (err) {
    throw explainRedisError(address, err);
  } finally {
    await Promise.all([cellsQueue.close(), experimentsQueue.close()]);
    redis.disconnect();
  }
}
