/** `reglab queue status`: the experiments, cells and workers of a queue. */
import type { Command } from 'commander';
import { renderTable } from '../../core/table.js';
import { queueStatus, type QueueStatus } from '../../lab/queue/status.js';

/** The status as text tables. */
export function formatQueueStatus(status: QueueStatus): string {
  const experiments = renderTable(
    {
      header: ['experiment', 'folder', 'methods', 'seeds', 'cells', 'coordinator'],
      rows: status.experiments.map((e) => [
        e.id,
        e.out,
        e.methods.join(' '),
        e.seeds.join(' '),
        Object.entries(e.cells)
          .map(([state, n]) => `${n} ${state}`)
          .join(', '),
        e.coordinator ?? '(none)',
      ]),
    },
    'text',
  );
  const cells = renderTable(
    {
      header: ['experiment', 'cell', 'state', 'attempts', 'worker', 'error'],
      rows: status.cells.map((c) => [c.experiment, c.cell, c.state, c.attempts, c.worker, c.error]),
    },
    'text',
  );
  const workers = renderTable(
    {
      header: ['worker', 'address', 'connected (s)'],
      rows: status.workers.map((w) => [w.name, w.address, w.age]),
    },
    'text',
  );
  return [
    `experiments (${status.experiments.length})`,
    experiments,
    '',
    `cells (${status.cells.length})`,
    cells,
    '',
    `workers (${status.workers.length})`,
    workers,
  ].join('\n');
}

/** The `queue status` action, exported for tests. */
export async function queueStatusAction(
  flags: { queue: string },
  print: (line: string) => void = console.log,
): Promise<QueueStatus> {
  const status = await queueStatus(flags.queue);
  print(formatQueueStatus(status));
  return status;
}

/** Registers `reglab queue`. */
export function registerQueueCommand(program: Command): void {
  const queue = program
    .command('queue')
    .description('look at the Redis queue of `compare --queue`');
  queue
    .command('status')
    .description('list the experiments, cells and workers on the queue')
    .requiredOption(
      '--queue <url>',
      'the Redis queue: redis://[:password@]host:port[/db] or rediss://',
    )
    .action((flags: { queue: string }) => queueStatusAction(flags).then(() => undefined));
}
