/**
 * The command-line syntax of regularization terms, shared by every method:
 *
 *   name[:option]*:weight[@layer,layer,…]
 *
 * e.g. `racecar:1e-5`, `ort:srip:0.1`, `per:1e-4@dense_1,dense_2`, `dr:cosine:1e-2@dense_1`,
 * `racecar:mode=layerwise:1e-5`. The last `:`-part is the weight; the parts between the name
 * and the weight are options, either bare words or `key=value`.
 */
import { ReglabError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { Monitor, RegularizationTerm } from './term.js';

/** A parsed term spec. */
export interface TermSpec {
  /** The spec as written. */
  readonly text: string;
  readonly name: string;
  readonly weight: number;
  /** Bare-word options in order, e.g. `['cosine']`. */
  readonly words: readonly string[];
  /** `key=value` options. */
  readonly params: Readonly<Record<string, string>>;
  /** Layers after `@`, when given. */
  readonly layers?: readonly string[];
}

/** What a factory gets besides the spec. */
export interface TermFactoryContext {
  rng: Random;
}

/** Makes a term from a spec; registered under the spec's name. */
export interface TermFactory {
  /** One line for `--help`, e.g. `racecar:λ  reverse-pass reconstruction (Xie & Thuerey)`. */
  readonly usage: string;
  create(spec: TermSpec, context: TermFactoryContext): RegularizationTerm;
}

/** Makes a monitor from `--track …` options. */
export interface MonitorFactory {
  readonly usage: string;
  create(spec: TermSpec, context: TermFactoryContext): Monitor;
}

/** Parses `name[:option]*:weight[@layers]` (see the file comment). */
export function parseTermSpec(text: string): TermSpec {
  const [body, layerText] = splitOnce(text.trim(), '@');
  const parts = body.split(':');
  const hint = 'write name[:option]*:weight[@layer,…], e.g. racecar:1e-5 or dr:cosine:1e-2@dense_1';
  if (parts.length < 2 || parts[0] === '')
    throw new ReglabError(`bad regularization spec "${text}"`, hint);
  const weight = Number(parts[parts.length - 1]);
  if (!Number.isFinite(weight) || parts[parts.length - 1].trim() === '') {
    throw new ReglabError(`bad weight "${parts[parts.length - 1]}" in "${text}"`, hint);
  }
  const words: string[] = [];
  const params: Record<string, string> = {};
  for (const option of parts.slice(1, -1)) {
    const [key, value] = splitOnce(option, '=');
    if (value === undefined) words.push(key);
    else params[key] = value;
  }
  const layers =
    layerText === undefined
      ? undefined
      : layerText
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (layers && layers.length === 0)
    throw new ReglabError(`empty layer list after @ in "${text}"`, hint);
  return { text, name: parts[0], weight, words, params, layers };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** A numeric `key=value` option, with a default and a clear error. */
export function numberParam(spec: TermSpec, key: string, fallback: number): number {
  const raw = spec.params[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new ReglabError(`option ${key}=${raw} in "${spec.text}" is not a number`);
  return value;
}

/** A `key=value` option restricted to `choices`. */
export function choiceParam<T extends string>(
  spec: TermSpec,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const fromWords = spec.words.find((word) => (choices as readonly string[]).includes(word)) as
    T | undefined;
  const raw = spec.params[key] ?? fromWords ?? fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ReglabError(
      `option ${key}=${raw} in "${spec.text}" is not one of ${choices.join(', ')}`,
    );
  }
  return raw as T;
}

/** A registry of factories by name. */
export class Registry<F extends { usage: string }> {
  private readonly factories = new Map<string, F>();

  constructor(private readonly kind: string) {}

  register(name: string, factory: F): void {
    this.factories.set(name, factory);
  }

  get(name: string): F {
    const factory = this.factories.get(name);
    if (!factory) {
      throw new ReglabError(
        `unknown ${this.kind} "${name}"`,
        `choose one of: ${[...this.factories.keys()].sort().join(', ')}`,
      );
    }
    return factory;
  }

  /** `name: usage` lines for `--help`. */
  usage(): string[] {
    return [...this.factories.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, f]) => f.usage);
  }
}

/** Every regularization term the CLI knows, filled by each method's module. */
export const termRegistry = new Registry<TermFactory>('regularization term');

/** Every monitor the CLI knows. */
export const monitorRegistry = new Registry<MonitorFactory>('monitor');

/** Parses a spec and creates its term through {@link termRegistry}. */
export function createTerm(text: string, context: TermFactoryContext): RegularizationTerm {
  const spec = parseTermSpec(text);
  return termRegistry.get(spec.name).create(spec, context);
}
