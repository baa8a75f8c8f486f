/**
 * The processor of `reglab worker`: trains one cell job in a fresh child process, with the
 * same function a local `compare` uses ({@link runInChild}), into a temporary folder, and
 * returns the folder's files. The worker's own process only waits, so a CPU-bound cell never
 * stalls its lock renewal.
 *
 * Why not BullMQ's sandboxed processors: they keep their child processes for the next job, and
 * a TF.js process names its second model `sequential_2`, so a reused process would write a
 * `model.json` that differs from a local run's. A fresh process per cell, as locally, gives
 * the same bytes whichever worker runs the cell.
 *
 * A transfer starts from its run's weights, which arrive in the job (the run finished before)
 * or as the return value of the job's child in the flow (they ran as one flow). A failing cell
 * throws: BullMQ retries it; too large a result is unrecoverable (retrying gives the same size).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { ReglabError } from '../../core/errors.js';
import { runInChild } from '../compare.js';
import { readRunArtefacts } from '../run-folder.js';
import {
  decodeFiles,
  encodeFiles,
  INIT_FILES,
  type CellJobData,
  type CellJobResult,
  type EncodedFiles,
} from './jobs.js';

/** Trains one cell job. */
export async function processCell(job: Job<CellJobData, CellJobResult>): Promise<CellJobResult> {
  const { cell, backend, resultCap } = job.data;
  const root = await mkdtemp(path.join(tmpdir(), 'reglab-cell-'));
  try {
    let config = cell.config;
    if (job.data.init) {
      const initDir = path.join(root, 'init');
      await writeInit(initDir, await initFiles(job));
      config = { ...config, init: initDir };
    }
    const out = path.join(root, 'run');
    const reply = await runInChild({ config, out, backend });
    if (!reply.ok) throw new Error(reply.error);
    let files: EncodedFiles;
    try {
      files = encodeFiles(await readRunArtefacts(out), resultCap);
    } catch (err) {
      throw err instanceof ReglabError ? new UnrecoverableError(err.message) : err;
    }
    return { result: reply.result, files };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The starting weights of a transfer job. */
async function initFiles(job: Job<CellJobData, CellJobResult>): Promise<EncodedFiles> {
  if (job.data.init !== 'child') return job.data.init!;
  const values = Object.values(await job.getChildrenValues<CellJobResult>());
  if (values.length !== 1)
    throw new Error(
      `transfer ${job.data.cell.id} found ${values.length} finished runs to start from, not 1`,
    );
  return values[0].files;
}

async function writeInit(dir: string, files: EncodedFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  const bytes = decodeFiles(files);
  for (const name of INIT_FILES) await writeFile(path.join(dir, name), bytes[name]);
}
