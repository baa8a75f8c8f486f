/**
 * What travels through the queue: the names of the two BullMQ queues, a cell's job (its
 * config, the backend, the cap on what it may send back, the weights a transfer starts from)
 * and its result (the run folder's files, base64). Coordinator (lab/queue/executor.ts) and
 * workers (lab/queue/worker.ts, processor.ts) share this module and nothing else.
 *
 * Keys. Every key lives under the BullMQ prefix `reglab`: `reglab:cells:*` (the cells, which
 * workers take), `reglab:experiments:*` (one flow parent per `compare` call, which gathers its
 * cells and is processed by nobody), `reglab:lock:<experiment id>` (the coordinator's lock).
 * A cell's job id is `<experiment id>.<cell id>`, the same on every call, so a re-run finds
 * the jobs an earlier call left.
 */
import { createHash } from 'node:crypto';
import type { BackendName } from '../../backend/select.js';
import { ReglabError } from '../../core/errors.js';
import type { ExperimentConfig, RunCell } from '../matrix.js';
import type { RunResult } from '../run-config.js';
import { RUN_ARTEFACTS } from '../run-folder.js';

/** The BullMQ prefix of every reglab key. */
export const QUEUE_PREFIX = 'reglab';
/** The queue the cells wait in; `reglab worker` takes them. */
export const CELLS_QUEUE = 'cells';
/** The queue of the flow parents (one per `compare --queue` call); no worker takes them. */
export const EXPERIMENTS_QUEUE = 'experiments';

/** Default cap on the files one cell sends back (bytes): 64 MiB. */
export const DEFAULT_RESULT_CAP = 64 * 2 ** 20;
/** Default attempts per cell before it counts as failed. */
export const DEFAULT_ATTEMPTS = 3;

/** A run folder's files, base64, keyed by name ({@link RUN_ARTEFACTS}). */
export type EncodedFiles = Record<string, string>;

/** The data of a cell's job. */
export interface CellJobData {
  /** The experiment's id ({@link experimentId}). */
  experiment: string;
  /** The coordinator's experiment folder (for `queue status`). */
  out: string;
  cell: RunCell;
  backend: BackendName;
  /** The most bytes the run's files may take together. */
  resultCap: number;
  /**
   * Where a transfer's starting weights come from: `child` (the job's child in the flow, its
   * run) or the files themselves (`model.json`, `weights.bin`, base64; the run finished before).
   */
  init?: 'child' | EncodedFiles;
}

/** What a cell's job returns. */
export interface CellJobResult {
  result: Omit<RunResult, 'history'>;
  files: EncodedFiles;
}

/** The data of an experiment's flow parent. */
export interface ExperimentJobData {
  experiment: string;
  out: string;
  /** `host:pid` of the coordinator. */
  coordinator: string;
  methods: string[];
  seeds: number[];
}

/** The id of an experiment on the queue: a hash of its canonical form and the backend. */
export function experimentId(experiment: ExperimentConfig, backend: BackendName): string {
  const text = JSON.stringify({ experiment, backend });
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** A cell's job id (BullMQ ids may not contain `:`; cell ids never do). */
export function cellJobId(experiment: string, cell: Pick<RunCell, 'id'>): string {
  return `${experiment}.${cell.id}`;
}

/** The key of an experiment's coordinator lock. */
export function lockKey(experiment: string): string {
  return `${QUEUE_PREFIX}:lock:${experiment}`;
}

/** Files as base64, checking their total against `cap` (bytes). */
export function encodeFiles(files: Record<string, Uint8Array>, cap: number): EncodedFiles {
  const sizes = Object.entries(files).map(([name, bytes]) => [name, bytes.byteLength] as const);
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  if (total > cap) {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const largest = [...sizes].sort((a, b) => b[1] - a[1])[0];
    throw new ReglabError(
      `the run's files take ${mib(total)} (${largest[0]} ${mib(largest[1])}), over the queue's cap of ${mib(cap)}`,
      'raise the cap (option resultCap; reglab compare --result-cap MiB) or train a smaller model: Redis holds each result until the coordinator collects it',
    );
  }
  return Object.fromEntries(
    Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]),
  );
}

/** Base64 files back to bytes. */
export function decodeFiles(files: EncodedFiles): Record<string, Uint8Array> {
  return Object.fromEntries(
    Object.entries(files).map(([name, text]) => [name, Buffer.from(text, 'base64')]),
  );
}

/** The starting weights of a transfer: a finished run's model files. */
export const INIT_FILES = [
  'model.json',
  'weights.bin',
] as const satisfies readonly (typeof RUN_ARTEFACTS)[number][];
