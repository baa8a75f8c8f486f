/**
 * The `reglab` command line. Each sub-command lives in `commands/<name>.ts` and registers
 * itself here; `--help` works on every one of them.
 */
import { Command, CommanderError } from 'commander';
import { ReglabError } from '../core/errors.js';
import '../methods.js';
import { registerTrainCommand } from './commands/train.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerCompareCommand } from './commands/compare.js';

/** Builds the program (exported for tests, which parse argument lists without a process). */
export function buildProgram(): Command {
  const program = new Command('reglab')
    .description('Train TensorFlow.js networks with racecar, PER, diversifying and constrained-Langevin regularization, and see why they work.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for the flags)');
  registerDemoCommand(program);
  registerTrainCommand(program);
  registerCompareCommand(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv layout). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
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

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) void main(process.argv);
