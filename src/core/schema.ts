/**
 * Checked reads of the JSON files reglab writes (run folders, checkpoints, experiments, pretrain
 * stacks): a {@link Schema} turns an `unknown` parsed value into a typed one or throws a
 * {@link ReglabError} naming the file, the field and what was expected — never an unchecked cast.
 *
 *   const Result = object({ testLoss: number, epochs: integer, history: array(Metrics) });
 *   const result = readChecked(file, Result);   // typed; "result.json: epochs is "x", expected a whole number"
 *
 * Objects keep keys their schema does not name (a newer minor field passes through unchecked);
 * the `format` version of each file, checked by its owner (lab/run-folder.ts), is what says
 * whether this reglab can read it at all. JSON writes NaN and ±Infinity as `null`, so measured
 * values use {@link measured}, which reads `null` back as NaN.
 */
import { ReglabError } from './errors.js';
import { readJson } from './fs.js';

/** Checks `value` (found at `at`, e.g. `history[2].loss`) and returns it typed, or throws. */
export type Schema<T> = (value: unknown, at: string) => T;

/** The type a schema returns. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Raised inside a schema; {@link parseChecked} turns it into a ReglabError naming the file. */
class SchemaMismatch extends Error {}

function fail(at: string, value: unknown, expected: string): never {
  const shown = JSON.stringify(value);
  throw new SchemaMismatch(
    `${at || 'the top level'} is ${shown === undefined ? 'missing' : shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}, expected ${expected}`,
  );
}

export const number: Schema<number> = (value, at) =>
  typeof value === 'number' ? value : fail(at, value, 'a number');

/** A measured number: `null` (how JSON writes NaN and ±Infinity) reads as NaN. */
export const measured: Schema<number> = (value, at) =>
  value === null ? Number.NaN : number(value, at);

/** `null` or a `schema`. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return (value, at) => (value === null ? null : schema(value, at));
}

/** A whole number. */
export const integer: Schema<number> = (value, at) =>
  Number.isInteger(value) ? (value as number) : fail(at, value, 'a whole number');

export const string: Schema<string> = (value, at) =>
  typeof value === 'string' ? value : fail(at, value, 'a string');

export const boolean: Schema<boolean> = (value, at) =>
  typeof value === 'boolean' ? value : fail(at, value, 'true or false');

/** One of the given strings. */
export function oneOf<const T extends string>(...values: T[]): Schema<T> {
  return (value, at) =>
    values.includes(value as T) ? (value as T) : fail(at, value, `one of ${values.join(', ')}`);
}

/** An array of `item`. */
export function array<T>(item: Schema<T>): Schema<T[]> {
  return (value, at) =>
    Array.isArray(value) ? value.map((v, k) => item(v, `${at}[${k}]`)) : fail(at, value, 'a list');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object whose every value is an `item`. */
export function record<T>(item: Schema<T>): Schema<Record<string, T>> {
  return (value, at) =>
    isObject(value)
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, item(v, join(at, k))]))
      : fail(at, value, 'an object');
}

/** Marks an object field as optional (absent, or `undefined`). */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> & { optional: true } {
  return Object.assign(
    (value: unknown, at: string) => (value === undefined ? undefined : schema(value, at)),
    {
      optional: true as const,
    },
  );
}

type Fields = Record<string, Schema<unknown>>;
type Required<F extends Fields> = {
  [K in keyof F as F[K] extends { optional: true } ? never : K]: Infer<F[K]>;
};
type Optional<F extends Fields> = {
  [K in keyof F as F[K] extends { optional: true } ? K : never]?: Infer<F[K]>;
};

/** An object with (at least) these fields; other keys pass through unchecked. */
export function object<F extends Fields>(fields: F): Schema<Required<F> & Optional<F>> {
  return (value, at) => {
    if (!isObject(value)) return fail(at, value, 'an object');
    const out: Record<string, unknown> = { ...value };
    for (const [key, schema] of Object.entries(fields)) {
      const checked = schema(value[key], join(at, key));
      if (checked !== undefined) out[key] = checked;
    }
    return out as Required<F> & Optional<F>;
  };
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

/**
 * Checks a parsed JSON value; a mismatch is a ReglabError naming `file` and the field, with
 * `hint` (default: the file is damaged or from another program).
 */
export function parseChecked<T>(file: string, value: unknown, schema: Schema<T>, hint?: string): T {
  try {
    return schema(value, '');
  } catch (err) {
    if (!(err instanceof SchemaMismatch)) throw err;
    throw new ReglabError(
      `${file}: ${err.message}`,
      hint ?? 'the file is damaged or was not written by reglab; restore it or delete the folder',
    );
  }
}

/** Reads a JSON file and checks it against `schema` ({@link parseChecked}). */
export async function readChecked<T>(file: string, schema: Schema<T>, hint?: string): Promise<T> {
  return parseChecked(file, await readJson<unknown>(file), schema, hint);
}
