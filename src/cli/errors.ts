/**
 * How the CLI reports a failure: one line on stderr and an exit code, never a stack trace.
 *
 * - a {@link ReglabError} (bad input: a flag, a spec, a file) → `reglab: <problem> — <fix>`, exit 1;
 * - commander's own errors (unknown flag, bad flag value) → commander printed them; its code (1);
 * - a Node file-system error (`EACCES`, `ENOTDIR`, `EEXIST`, `ENOSPC`, …) → the file, what went
 *   wrong in words, and what to do, exit 1: these are the user's folders, not reglab's bugs;
 * - anything else → `reglab: internal error: <message>`, exit {@link EXIT_INTERNAL}: a bug in
 *   reglab or TF.js (every bad input is meant to be a ReglabError), to be reported.
 *
 * `REGLAB_DEBUG=1` adds the stack trace after the line.
 */
import { CommanderError } from 'commander';
import { ReglabError } from '../core/errors.js';

/** Exit code of a bad input (a named error). */
export const EXIT_BAD_INPUT = 1;

/** Exit code of an unexpected error (a bug: please report it). */
export const EXIT_INTERNAL = 2;

/** A failure as the CLI reports it. */
export interface FailureReport {
  /** The line to print, or undefined when it was printed already (commander). */
  line?: string;
  exitCode: number;
}

/** Node's system errors carry these. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

function isSystemError(err: unknown): err is SystemError {
  return err instanceof Error && typeof (err as Partial<SystemError>).code === 'string';
}

/** What each file-system error means for the user, and what to do. */
const SYSTEM_ERRORS: Readonly<Record<string, [problem: string, fix: string]>> = {
  EACCES: ['permission denied', 'choose a folder you can write to (--out), or fix its permissions'],
  EPERM: ['operation not permitted', 'choose a folder you can write to (--out)'],
  EROFS: ['the file system is read-only', 'choose a folder on a writable disk (--out)'],
  EEXIST: ['a file of that name is in the way', 'choose another --out, or move the file away'],
  ENOTDIR: [
    'a part of the path is a file, not a folder',
    'choose another --out, or move the file away',
  ],
  EISDIR: ['it is a folder, not a file', 'name the file, not its folder'],
  ENOENT: ['no such file or folder', 'check the path'],
  ENOSPC: ['the disk is full', 'free some space (finished runs are kept; run again to resume)'],
  EDQUOT: ['the disk quota is exceeded', 'free some space (run again to resume)'],
  EMFILE: ['too many open files', 'raise the limit (ulimit -n) or use fewer --workers'],
};

/** Classifies `err` (see the file comment). */
export function describeFailure(err: unknown): FailureReport {
  if (err instanceof CommanderError) return { exitCode: err.exitCode };
  if (err instanceof ReglabError)
    return { line: `reglab: ${err.message}`, exitCode: EXIT_BAD_INPUT };
  if (isSystemError(err) && SYSTEM_ERRORS[err.code]) {
    const [problem, fix] = SYSTEM_ERRORS[err.code];
    const what = err.path ? `${err.syscall ?? 'use'} ${err.path}` : (err.syscall ?? 'a file');
    return {
      line: `reglab: cannot ${what}: ${problem} (${err.code}) — ${fix}`,
      exitCode: EXIT_BAD_INPUT,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    line:
      `reglab: internal error: ${message.split('\n')[0]} — this is a bug in reglab or TF.js, not ` +
      'in your input; run again with REGLAB_DEBUG=1 for the stack trace and report it',
    exitCode: EXIT_INTERNAL,
  };
}

/** Whether `REGLAB_DEBUG` asks for stack traces. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.REGLAB_DEBUG !== undefined && !['', '0', 'false'].includes(env.REGLAB_DEBUG);
}

/** Prints a failure (one line; the stack too under REGLAB_DEBUG) and returns its exit code. */
export function reportFailure(err: unknown, write: (text: string) => void): number {
  const report = describeFailure(err);
  if (report.line) write(report.line);
  if (debugEnabled() && err instanceof Error && !(err instanceof CommanderError))
    write(err.stack ?? String(err));
  return report.exitCode;
}
