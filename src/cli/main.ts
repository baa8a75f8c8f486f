/**
 * The `reglab` command line. Each sub-command lives in `commands/<name>.ts` and registers
 * itself here; `--help` works on every one of them.
 */
import { Command, CommanderError } from 'commander';
import { ReglabError } from '../core/errors.js';
import { registerTrainCommand } from './commands/train.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerPretrainCommand } from './commands/pretrain.js';
import { registerReconstructCommand } from './commands/reconstruct.js';
import { registerSvdCommand } from './commands/svd.js';
import { registerReportCommand } from './commands/report.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerQueueCommand } from './commands/queue.js';

/**
 * Builds the program. Settings are made before the sub-commands are added, since commander
 * copies them into each sub-command when it is created: with `throwOnError` a bad flag
 * throws a CommanderError instead of exiting (tests parse argument lists this way).
 */
export function buildProgram(
  options: { throwOnError?: boolean; writeErr?: (text: string) => void } = {},
): Command {
  const program = new Command('reglab')
    .description(
      'Train TensorFlow.js networks with racecar, PER, diversifying and constrained-Langevin regularization, and see why they work.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for the flags)');
  if (options.throwOnError) program.exitOverride();
  if (options.writeErr) program.configureOutput({ writeErr: options.writeErr });
  registerDemoCommand(program);
  registerTrainCommand(program);
  registerCompareCommand(program);
  registerPretrainCommand(program);
  registerReconstructCommand(program);
  registerSvdCommand(program);
  registerReportCommand(program);
  registerWorkerCommand(program);
  registerQueueCommand(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv layout). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram({ throwOnError: true });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed the message already; help and version exit cleanly.
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ReglabError) {
      console.error(`reglab: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

const invokedDirectly =
  process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) void main(process.argv);
