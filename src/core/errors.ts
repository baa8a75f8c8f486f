/**
 * Errors that reglab raises for bad input. Every message names the problem and the fix,
 * so a user never has to read reglab's source to know what to change.
 */
export class ReglabError extends Error {
  /** What the user can do about it (also appended to `message`). */
  readonly hint?: string;

  constructor(problem: string, hint?: string) {
    super(hint ? `${problem} — ${hint}` : problem);
    this.name = 'ReglabError';
    this.hint = hint;
  }
}

/** Throws a {@link ReglabError} unless `condition` holds. */
export function check(condition: unknown, problem: string, hint?: string): asserts condition {
  if (!condition) throw new ReglabError(problem, hint);
}
