/**
 * A child process for the pretrain crash test: runs `pretrainAction` with the flags given as
 * JSON in argv[2] (cpu backend), so the test can kill it at an injected point (REGLAB_CRASH_AT).
 */
import { pretrainAction, type PretrainFlags } from '../../../../src/cli/commands/pretrain.js';

pretrainAction(JSON.parse(process.argv[2]) as PretrainFlags, () => {}).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
