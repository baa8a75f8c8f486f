/**
 * A child process that trains one cell of an experiment matrix. The parent sends one
 * {@link WorkerRequest}; the child answers with one {@link WorkerReply} and exits. One process
 * per run keeps runs isolated (a crash or a leak cannot touch the others) and single-threaded.
 *
 * A worker dies with its parent: when the parent goes (killed, even by SIGKILL, or exiting), the
 * IPC channel closes and the worker exits at once — after the batch in flight, since it yields to
 * the event loop after every batch — leaving its run folder as a kill would (the last finished
 * epoch's checkpoint, resumed by the next `compare`; its lock removed on exit).
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
    const { history: _history, ...result } = await trainRun(request.config, request.out, {
      callbacks: { onBatchEnd: yieldToEvents },
    });
    return { ok: true, result };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Lets the event loop run (a closed IPC channel is noticed between two batches). */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

process.once('disconnect', () => process.exit(1));
process.once('message', (request: WorkerRequest) => {
  void handle(request).then((reply) => process.send?.(reply, () => process.exit(0)));
});
