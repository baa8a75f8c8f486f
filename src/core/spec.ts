/**
 * The one spec grammar of reglab: terms, monitors, optimizers, constraints, models, transfers
 * and the methods of an experiment grid are all written
 *
 *   name(:word | :key=value | :number)*(@target(,target)*)?
 *
 * e.g. `racecar:mean:1e-5@input`, `mi:ksg:samples=2000`, `cola-ud:h=0.3:gamma=1:tau=0`,
 * `circle:0.05@dense_1`, `mlp:256,256`, `rotate:45`. Each factory declares a {@link SpecSchema}:
 * its options (each a number, a choice of words, a flag or a list), the meaning of the one bare
 * number (a term's weight λ, a constraint's radius, the zoo's widths) and whether it takes
 * targets. {@link parseSpec} checks a text against the schema — an unknown word or key, a value
 * out of range, two words for one option, a missing or unwanted number — and every error names
 * the problem and lists what the factory accepts. {@link printSpec} writes the canonical form
 * (options in schema order, defaults left out, choices as bare words): `print(parse(s)) = s`
 * for canonical `s`, and `config.json` stores that form.
 *
 * Grids: a value may list alternatives with `|` (`racecar:1e-5|1e-4`); {@link expandGrid}
 * turns one text into one text per combination, before parsing.
 *
 * Deprecated spellings still parse and print a one-time message with their replacement: the
 * first wave's `key=v,key=v` option lists (`cola-ud:h=0.3,gamma=1`), a monitor's meaningless
 * weight (`mi:0`), and the aliases a schema declares (old names, old option words).
 */
import { ReglabError } from './errors.js';

/** A number option (or the bare number): finite, optionally integer and bounded. */
export interface NumberOption {
  readonly type: 'number';
  readonly default?: number;
  readonly integer?: boolean;
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound (e.g. a learning rate > 0). */
  readonly above?: number;
  readonly max?: number;
  readonly description?: string;
}

/** A list of numbers written with commas, `256,256`. */
export interface NumberListOption extends Omit<NumberOption, 'type' | 'default'> {
  readonly type: 'numbers';
  readonly default?: readonly number[];
}

/** One of a fixed set of words; each may be written bare (`:mean`) or as `key=mean`. */
export interface ChoiceOption {
  readonly type: 'choice';
  readonly values: readonly string[];
  readonly default?: string;
  /** Deprecated words and the value each stands for (`logits` → `pre-softmax`). */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly description?: string;
}

/** A flag: present as a bare word (`:bias`) or `key=true|false`. */
export interface FlagOption {
  readonly type: 'flag';
  readonly default?: boolean;
  readonly description?: string;
}

/** Free text (a file name, a pattern): only as `key=value`. */
export interface TextOption {
  readonly type: 'text';
  readonly default?: string;
  readonly description?: string;
}

export type OptionSchema = NumberOption | NumberListOption | ChoiceOption | FlagOption | TextOption;

/** What the bare number of a spec means and whether it is needed. */
export type ValueSchema = (NumberOption | NumberListOption) & {
  /** Its name in messages and usage lines, e.g. `λ`, `radius`, `widths`. */
  readonly name: string;
  readonly required: boolean;
};

/** Everything a factory accepts (see the file comment). */
export interface SpecSchema {
  /** The canonical name, the first part of the spec. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  readonly options?: Readonly<Record<string, OptionSchema>>;
  /** The bare number; absent: the factory takes none (monitors, `orthogonal`). */
  readonly value?: ValueSchema;
  /** Targets after `@` (layer names, patterns); absent: none accepted. */
  readonly targets?: { readonly name: string; readonly required?: boolean };
  /** Deprecated names of the factory (`underdamped` for `cola-ud`). */
  readonly aliases?: readonly string[];
}

/** The value an option holds after parsing. */
export type OptionValue = number | readonly number[] | string | boolean;

/** A spec checked against its schema; `options` holds every option given or defaulted. */
export interface Spec {
  readonly name: string;
  readonly options: Readonly<Record<string, OptionValue | undefined>>;
  /** The bare number (or list); `undefined` when not given and not required. */
  readonly value?: number | readonly number[];
  readonly targets?: readonly string[];
}

const warned = new Set<string>();

/** Prints `message` once per process (deprecations). */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`reglab: ${message}`);
}

/** Shortest faithful text of a number: `1e-5`, `0.05`, `256`. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const magnitude = Math.abs(x);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)
    ? x.toExponential().replace('e+', 'e')
    : String(x);
}

/** The usage of a schema, e.g. `racecar[:sum|mean][:unpool=argmax|nearest]:λ[@states]`. */
export function specUsage(schema: SpecSchema): string {
  const parts = [schema.name];
  for (const [key, option] of Object.entries(schema.options ?? {})) {
    if (option.type === 'choice') parts.push(`[:${option.values.join('|')}]`);
    else if (option.type === 'flag') parts.push(`[:${key}]`);
    else
      parts.push(
        `[:${key}=${option.type === 'numbers' ? 'N,N' : option.type === 'text' ? '…' : 'N'}]`,
      );
  }
  if (schema.value)
    parts.push(schema.value.required ? `:${schema.value.name}` : `[:${schema.value.name}]`);
  if (schema.targets)
    parts.push(schema.targets.required ? `@${schema.targets.name}` : `[@${schema.targets.name}]`);
  return parts.join('');
}

/** What a schema accepts, for error hints: words, `key=…`, the number and targets. */
export function acceptedText(schema: SpecSchema): string {
  const words: string[] = [];
  const keys: string[] = [];
  for (const [key, option] of Object.entries(schema.options ?? {})) {
    if (option.type === 'choice') {
      words.push(...option.values);
      keys.push(`${key}=`);
    } else if (option.type === 'flag') words.push(key);
    else keys.push(`${key}=…`);
  }
  const accepted = [
    ...words,
    ...(keys.length > 0 ? [words.length > 0 ? `(or ${keys.join(', ')})` : keys.join(', ')] : []),
    ...(schema.value ? [`a number (${schema.value.name})`] : []),
    ...(schema.targets ? [`@${schema.targets.name}`] : []),
  ];
  const list = accepted.length > 0 ? accepted.join(', ') : 'no options';
  return `${schema.name} accepts ${list}; write ${specUsage(schema)}`;
}

/** Splits `body@targets` at the first `@` (a target may itself contain `@`-free patterns). */
function splitTargets(text: string): [string, string | undefined] {
  const at = text.indexOf('@');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Splits a target list on commas outside `/…/` regular expressions. */
export function splitTargetList(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inRegex = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '/' && (current === '' || inRegex) && text[i - 1] !== '\\') inRegex = !inRegex;
    if (c === ',' && !inRegex) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  out.push(current.trim());
  return out;
}

/**
 * The `:`-separated tokens of a spec body after its name; a first-wave `key=v,key=v` token is
 * split into its options (deprecated).
 */
function tokens(body: string, text: string): string[] {
  const out: string[] = [];
  for (const token of body.split(':').slice(1)) {
    if (/^[^=,]+=[^,]*(,[a-z][a-z0-9]*=[^,]*)+$/i.test(token)) {
      warnOnce(`"${text}": separate options with ":" (write ${token.split(',').join(':')})`);
      out.push(...token.split(','));
    } else out.push(token);
  }
  return out;
}

function parseNumber(raw: string, schema: NumberOption, what: string, text: string): number {
  const value = raw.trim() === '' ? NaN : Number(raw);
  const bounds = [
    schema.integer ? 'an integer' : 'a number',
    schema.min !== undefined ? `≥ ${schema.min}` : '',
    schema.above !== undefined ? `> ${schema.above}` : '',
    schema.max !== undefined ? `≤ ${schema.max}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const ok =
    Number.isFinite(value) &&
    (!schema.integer || Number.isInteger(value)) &&
    (schema.min === undefined || value >= schema.min) &&
    (schema.above === undefined || value > schema.above) &&
    (schema.max === undefined || value <= schema.max);
  if (!ok)
    throw new ReglabError(
      `${what} "${raw}" in "${text}" is not ${bounds}`,
      `write ${what} as ${bounds}`,
    );
  return value;
}

function parseValue(raw: string, option: OptionSchema, what: string, text: string): OptionValue {
  switch (option.type) {
    case 'number':
      return parseNumber(raw, option, what, text);
    case 'numbers': {
      const parts = raw.split(',');
      const { default: _default, ...bounds } = option;
      return parts.map((part) =>
        parseNumber(part.trim(), { ...bounds, type: 'number' }, what, text),
      );
    }
    case 'choice': {
      const alias = option.aliases?.[raw];
      if (alias !== undefined) {
        warnOnce(`"${raw}" in "${text}" is deprecated; write "${alias}"`);
        return alias;
      }
      if (!option.values.includes(raw))
        throw new ReglabError(
          `${what}=${raw} in "${text}" is not one of ${option.values.join(', ')}`,
          `write ${what}=${option.values[0]} (or the bare word)`,
        );
      return raw;
    }
    case 'flag':
      if (raw !== 'true' && raw !== 'false')
        throw new ReglabError(
          `${what}=${raw} in "${text}" is not true or false`,
          `write :${what} or ${what}=false`,
        );
      return raw === 'true';
    case 'text':
      if (raw.trim() === '')
        throw new ReglabError(`${what}= in "${text}" is empty`, `write ${what}=…`);
      return raw;
  }
}

/** The option a bare word sets (a choice value, an alias, or a flag's name). */
function wordOption(schema: SpecSchema, word: string): [string, OptionValue][] {
  const hits: [string, OptionValue][] = [];
  for (const [key, option] of Object.entries(schema.options ?? {})) {
    if (
      option.type === 'choice' &&
      (option.values.includes(word) || option.aliases?.[word] !== undefined)
    )
      hits.push([key, word]);
    if (option.type === 'flag' && key === word) hits.push([key, true]);
  }
  return hits;
}

/** The name part of a spec text. */
export function specName(text: string): string {
  return splitTargets(text.trim())[0].split(':')[0].trim();
}

/**
 * Parses `text` against `schema` (see the file comment).
 * @throws ReglabError naming the bad part and listing what the schema accepts.
 */
export function parseSpec(text: string, schema: SpecSchema): Spec {
  const trimmed = text.trim();
  const [body, targetText] = splitTargets(trimmed);
  const name = body.split(':')[0].trim();
  if (name !== schema.name && !(schema.aliases ?? []).includes(name))
    throw new ReglabError(`"${text}" is not a ${schema.name} spec`, acceptedText(schema));
  if (name !== schema.name) warnOnce(`"${name}" is deprecated; write "${schema.name}"`);
  const options: Record<string, OptionValue | undefined> = {};
  const given = new Map<string, string>();
  let value: number | readonly number[] | undefined;
  const set = (key: string, parsed: OptionValue, token: string) => {
    const previous = given.get(key);
    if (previous !== undefined)
      throw new ReglabError(
        `"${text}" sets ${key} twice (${previous} and ${token})`,
        `give ${key} once; ${acceptedText(schema)}`,
      );
    given.set(key, token);
    options[key] = parsed;
  };
  for (const token of tokens(body, trimmed)) {
    if (token.trim() === '')
      throw new ReglabError(`"${text}" has an empty part between colons`, acceptedText(schema));
    const eq = token.indexOf('=');
    if (eq >= 0) {
      const key = token.slice(0, eq).trim();
      const option = schema.options?.[key];
      if (!option)
        throw new ReglabError(`unknown option "${key}" in "${text}"`, acceptedText(schema));
      set(key, parseValue(token.slice(eq + 1).trim(), option, key, trimmed), token);
      continue;
    }
    const hits = wordOption(schema, token);
    if (hits.length === 1) {
      const [key, raw] = hits[0];
      const option = schema.options![key];
      set(
        key,
        option.type === 'flag' ? true : parseValue(String(raw), option, key, trimmed),
        token,
      );
      continue;
    }
    if (/^[-+]?(\d|\.\d)/.test(token)) {
      if (!schema.value) {
        if (token === '0') {
          warnOnce(`"${text}": ${schema.name} takes no weight; drop the ":0"`);
          continue;
        }
        throw new ReglabError(
          `"${text}": ${schema.name} takes no number ("${token}")`,
          acceptedText(schema),
        );
      }
      if (value !== undefined)
        throw new ReglabError(`"${text}" has two numbers`, acceptedText(schema));
      value = parseValue(token, schema.value, schema.value.name, trimmed) as number | number[];
      continue;
    }
    throw new ReglabError(`unknown option "${token}" in "${text}"`, acceptedText(schema));
  }
  if (value === undefined && schema.value?.required)
    throw new ReglabError(`"${text}" needs ${schema.value.name}`, `write ${specUsage(schema)}`);
  value ??= schema.value?.default;
  for (const [key, option] of Object.entries(schema.options ?? {}))
    if (!(key in options)) options[key] = option.default;
  let targets: string[] | undefined;
  if (targetText !== undefined) {
    if (!schema.targets)
      throw new ReglabError(`"${text}": ${schema.name} takes no @targets`, acceptedText(schema));
    targets = splitTargetList(targetText);
    if (targets.some((t) => t === ''))
      throw new ReglabError(`"${text}" has an empty target after @`, `write ${specUsage(schema)}`);
  } else if (schema.targets?.required) {
    throw new ReglabError(`"${text}" needs @${schema.targets.name}`, `write ${specUsage(schema)}`);
  }
  return { name: schema.name, options, value, targets };
}

function printValue(value: OptionValue): string {
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return value.map(formatNumber).join(',');
  return String(value);
}

function sameValue(a: OptionValue | undefined, b: OptionValue | undefined): boolean {
  return (
    printValue(a as OptionValue) === printValue(b as OptionValue) &&
    (a === undefined) === (b === undefined)
  );
}

/** The canonical text of a spec: options in schema order without defaults, the number last. */
export function printSpec(spec: Spec, schema: SpecSchema): string {
  const parts = [schema.name];
  for (const [key, option] of Object.entries(schema.options ?? {})) {
    const value = spec.options[key];
    if (value === undefined || sameValue(value, option.default)) continue;
    if (option.type === 'choice') {
      const bare = wordOption(schema, String(value)).length === 1;
      parts.push(bare ? String(value) : `${key}=${value}`);
    } else if (option.type === 'flag') parts.push(value ? key : `${key}=false`);
    else parts.push(`${key}=${printValue(value)}`);
  }
  const value = spec.value;
  if (
    value !== undefined &&
    !(schema.value?.required === false && sameValue(value, schema.value.default))
  )
    parts.push(printValue(value));
  const text = parts.join(':');
  return spec.targets ? `${text}@${spec.targets.join(',')}` : text;
}

/**
 * One text per combination of the `|` alternatives in `text` (`racecar:1e-5|1e-4` → two
 * texts; `a:1|2:k=x|y` → four, in order). Targets are not expanded.
 */
export function expandGrid(text: string): string[] {
  const [body, targets] = splitTargets(text.trim());
  const suffix = targets === undefined ? '' : `@${targets}`;
  let texts = [''];
  body.split(':').forEach((token, k) => {
    const eq = token.indexOf('=');
    const [prefix, rest] = eq >= 0 ? [token.slice(0, eq + 1), token.slice(eq + 1)] : ['', token];
    const alternatives = k === 0 ? [token] : rest.split('|').map((alt) => prefix + alt);
    if (alternatives.some((alt) => alt === prefix))
      throw new ReglabError(
        `"${text}" has an empty alternative around |`,
        'write e.g. racecar:1e-5|1e-4',
      );
    texts = texts.flatMap((head) => alternatives.map((alt) => (k === 0 ? alt : `${head}:${alt}`)));
  });
  return texts.map((t) => t + suffix);
}

/** A factory: a schema and how to build its object from a parsed spec. */
export interface Factory<T, C> {
  readonly schema: SpecSchema;
  create(spec: Spec, context: C): T;
}

/** Factories of one kind by name (terms, monitors, optimizers, …), with their aliases. */
export class Registry<T, C> {
  private readonly factories = new Map<string, Factory<T, C>>();
  private readonly aliases = new Map<string, string>();

  /** @param kind What the registry holds, in messages (`regularization term`). */
  constructor(
    readonly kind: string,
    factories: readonly Factory<T, C>[] = [],
  ) {
    for (const factory of factories) this.add(factory);
  }

  /** Adds a factory; a name (or alias) used twice is an error. */
  add(factory: Factory<T, C>): this {
    const { name, aliases = [] } = factory.schema;
    for (const key of [name, ...aliases]) {
      if (this.factories.has(key) || this.aliases.has(key))
        throw new ReglabError(
          `two ${this.kind}s are named "${key}"`,
          'give each factory its own name',
        );
    }
    this.factories.set(name, factory);
    for (const alias of aliases) this.aliases.set(alias, name);
    return this;
  }

  /** Whether `name` (or an alias) is registered. */
  has(name: string): boolean {
    return this.factories.has(name) || this.aliases.has(name);
  }

  /** The factory of `name` (or an alias), or an error listing every name. */
  get(name: string): Factory<T, C> {
    const factory = this.factories.get(this.aliases.get(name) ?? name);
    if (!factory)
      throw new ReglabError(
        `unknown ${this.kind} "${name}"`,
        `choose one of: ${this.names().join(', ')}`,
      );
    return factory;
  }

  /** The canonical names, sorted. */
  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** Parses `text` with its factory's schema. */
  parse(text: string): Spec {
    return parseSpec(text, this.get(specName(text)).schema);
  }

  /** The canonical text of `text` (see {@link printSpec}). */
  canonical(text: string): string {
    const factory = this.get(specName(text));
    return printSpec(parseSpec(text, factory.schema), factory.schema);
  }

  /** Parses `text` and builds its object. */
  create(text: string, context: C): T {
    const factory = this.get(specName(text));
    return factory.create(parseSpec(text, factory.schema), context);
  }

  /** `usage  summary` lines for `--help`, sorted by name. */
  usage(): string[] {
    return this.names().map((name) => {
      const { schema } = this.get(name);
      return `${specUsage(schema)}  ${schema.summary}`;
    });
  }
}

/**
 * The matcher of a glob (`conv_*`, `dense_?`: `*` any run of characters, `?` one) or a
 * `/regular expression/flags` target; `undefined` for a plain name.
 */
export function targetMatcher(target: string): ((name: string) => boolean) | undefined {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(target);
  if (regex) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(regex[1], regex[2].replace('g', ''));
    } catch (err) {
      throw new ReglabError(
        `target ${target} is not a valid regular expression (${(err as Error).message})`,
        'fix the pattern between the slashes',
      );
    }
    return (name) => pattern.test(name);
  }
  if (!/[*?]/.test(target)) return undefined;
  const glob = new RegExp(
    `^${target
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return (name) => glob.test(name);
}

/**
 * The names `targets` select from `names`: exact names, globs (`conv_*`) and `/regex/`s, in
 * the targets' order, each name once. A target that selects nothing is an error naming it and
 * listing `names` (`what` says what they are: `layer`, `variable`).
 */
export function matchTargets(
  targets: readonly string[],
  names: readonly string[],
  what: string,
): string[] {
  const selected: string[] = [];
  for (const target of targets) {
    const matcher = targetMatcher(target);
    const hits = matcher ? names.filter(matcher) : names.filter((name) => name === target);
    if (hits.length === 0)
      throw new ReglabError(
        `no ${what} ${matcher ? 'matches' : 'is named'} "${target}"`,
        `the ${what}s are ${names.join(', ') || '(none)'}`,
      );
    for (const hit of hits) if (!selected.includes(hit)) selected.push(hit);
  }
  return selected;
}
