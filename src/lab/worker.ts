/**
 * A child process that trains one cell of an experiment matrix. The parent sends one
 * {@link WorkerRequest}; the child answers with one {@link WorkerReply} and exits. One process
 * per run keeps runs isolated (a crash or a leak cannot touch the others) and single-threaded.
 */
import { selectBackend, type BackendName } from '../backend/select.js';
import { trainRun } from './run.js';
import { type RunConfig } from './run-config.js';
import { type RunResult } from './run-config.js';

/** What the parent asks for. */
export interface WorkerRequest {
  config: RunConfig;
  out: string;
  backend: BackendName;
}

/** What the child answers. */
export type WorkerReply =
  { ok: true; result: Omit<RunResult, 'history'> } | { ok: false; error: string };

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  try {
    await selectBackend(request.backend, { log: false });
    const { history: _history, ...result } = await trainRun(request.config, request.out);
    return { ok: true, result };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

process.once('message', (request: WorkerRequest) => {
  void handle(request).then((reply) => process.send?.(reply, () => process.exit(0)));
});
