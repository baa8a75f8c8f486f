/**
 * The `reglab` command line. Each sub-command lives in `commands/<name>.ts` and registers
 * itself here; `--help` works on every one of them.
 */
import { Command } from 'commander';
import { reportFailure } from './errors.js';
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

/**
 * Runs the CLI on `argv` (process.argv layout) and resolves to the exit code (also set as
 * `process.exitCode`); it never rejects. Every failure becomes one line on stderr (cli/errors.ts),
 * including rejections nobody awaited and exceptions thrown from callbacks: the wasm backend's
 * Emscripten module re-throws those from its own `unhandledRejection`/`uncaughtException`
 * listeners (a 40 KB dump of its source), so the CLI's listeners, installed first, report and
 * exit before Emscripten's run.
 */
export async function main(argv: string[]): Promise<number> {
  const fail = (err: unknown) => {
    process.exitCode = reportFailure(err, (text) => console.error(text));
    return process.exitCode;
  };
  if (!strayHandlerInstalled) {
    // Kept for the life of the process: a stray rejection can come after parseAsync settles.
    const onStray = (err: unknown) => process.exit(fail(err));
    process.on('unhandledRejection', onStray);
    process.on('uncaughtException', onStray);
    strayHandlerInstalled = true;
  }
  const program = buildProgram({ throwOnError: true });
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    return fail(err);
  }
}

let strayHandlerInstalled = false;

const invokedDirectly =
  process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) void main(process.argv);
