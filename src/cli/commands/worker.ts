/** `reglab worker`: trains the cells of `reglab compare --queue` on this machine. */
import type { Command } from 'commander';
import { startQueueWorker, type QueueWorker } from '../../lab/queue/worker.js';
import { positiveInt } from '../options.js';

interface WorkerFlags {
  queue: string;
  concurrency?: number;
  stallMs?: number;
}

/** The `worker` action, exported for tests: starts the worker and stops it on SIGINT/SIGTERM. */
export async function workerAction(
  flags: WorkerFlags,
  print: (line: string) => void = console.log,
): Promise<QueueWorker> {
  const worker = await startQueueWorker({
    url: flags.queue,
    concurrency: flags.concurrency,
    stallMs: flags.stallMs,
    log: print,
  });
  const stop = (signal: string) => {
    print(`${signal}: finishing the running cell(s), then stopping (again to stop now)`);
    process.once(signal, () => process.exit(130));
    void worker.close();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return worker;
}

/** Registers `reglab worker`. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'train the cells of `reglab compare --queue` on this machine, each in its own process, until stopped',
    )
    .requiredOption(
      '--queue <url>',
      'the Redis queue: redis://[:password@]host:port[/db] or rediss://',
    )
    .option('--concurrency <n>', 'cells at a time (default: number of cores)', positiveInt)
    .option(
      '--stall-ms <ms>',
      'a cell whose worker stops renewing its lock for this long is given to another worker (default 30000)',
      positiveInt,
    )
    .action((flags: WorkerFlags) => workerAction(flags).then(() => undefined));
}
