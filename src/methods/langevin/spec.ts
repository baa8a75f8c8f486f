/**
 * The specs of the Langevin optimizers, in reglab's one grammar (core/spec.ts):
 *
 *   cola-ud:h=0.3:gamma=1:tau=0        underdamped (BAOAB + RATTLE); also c=0.74 instead of gamma
 *   cola-ud:lr=0.1:momentum=0.9        underdamped in SGD-with-momentum units
 *   cola-od:h=0.01:tau=1e-4:seed=3     overdamped (constrained SGLD)
 *
 * Names: `cola-ud` (deprecated aliases `underdamped`, `baoab`), `cola-od` (`overdamped`,
 * `sgld`). The first wave's comma lists (`cola-ud:h=0.3,gamma=1,tau=0`) still parse, with a
 * deprecation message. Constraint rules come separately (`--constraint circle:0.05@dense_1`).
 */
import { ReglabError } from '../../core/errors.js';
import { parseSpec, type OptionSchema, type Spec, type SpecSchema } from '../../core/spec.js';
import type { ConstraintRule } from './rules.js';
import { OverdampedLangevin, type OverdampedOptions } from './overdamped.js';
import { UnderdampedLangevin, type UnderdampedOptions } from './underdamped.js';

export type LangevinSpec =
  | { kind: 'underdamped'; options: UnderdampedOptions }
  | { kind: 'overdamped'; options: OverdampedOptions };

const COMMON: Record<string, OptionSchema> = {
  tau: { type: 'number', min: 0, description: 'temperature τ (0: an optimizer)' },
  seed: {
    type: 'number',
    integer: true,
    min: 0,
    description: 'seed of the noise (default: from the run)',
  },
  shakeTol: { type: 'number', above: 0 },
  shakeMaxIter: { type: 'number', integer: true, min: 1 },
};

/** `cola-ud:…`: underdamped constrained Langevin. */
export const UNDERDAMPED_SCHEMA: SpecSchema = {
  name: 'cola-ud',
  aliases: ['underdamped', 'baoab'],
  summary:
    'underdamped constrained Langevin (BAOAB + RATTLE): h=… gamma=…|c=… tau=…, or lr=… momentum=…',
  options: {
    h: { type: 'number', above: 0 },
    gamma: { type: 'number', min: 0 },
    c: { type: 'number', min: 0, max: 1 },
    lr: { type: 'number', above: 0 },
    momentum: { type: 'number', min: 0, max: 1 },
    ...COMMON,
  },
};

/** `cola-od:…`: overdamped constrained Langevin. */
export const OVERDAMPED_SCHEMA: SpecSchema = {
  name: 'cola-od',
  aliases: ['overdamped', 'sgld'],
  summary: 'overdamped constrained Langevin (SGLD + projection): h=… tau=…',
  options: { h: { type: 'number', above: 0 }, lr: { type: 'number', above: 0 }, ...COMMON },
};

function definedOptions(spec: Spec): Record<string, number> {
  return Object.fromEntries(
    Object.entries(spec.options).filter(([, value]) => value !== undefined),
  ) as Record<string, number>;
}

/** The optimizer options of a parsed `cola-ud` / `cola-od` spec, checked for a step size. */
export function langevinSpec(spec: Spec): LangevinSpec {
  const options = definedOptions(spec);
  const kind = spec.name === UNDERDAMPED_SCHEMA.name ? 'underdamped' : 'overdamped';
  if (options.h === undefined && options.lr === undefined) {
    throw new ReglabError(
      `${spec.name} needs a step size h`,
      kind === 'underdamped'
        ? 'e.g. cola-ud:h=0.3:gamma=1:tau=0 (or lr=…:momentum=…)'
        : 'e.g. cola-od:h=0.01:tau=1e-4',
    );
  }
  if (options.h !== undefined && options.lr !== undefined)
    throw new ReglabError(
      `${spec.name} got both h and lr`,
      'give the step as h=… or as lr=…, not both',
    );
  if (kind === 'underdamped' && options.gamma !== undefined && options.c !== undefined)
    throw new ReglabError(
      'cola-ud got both gamma and c',
      'give the friction as gamma=… or as c=…, not both',
    );
  return { kind, options } as LangevinSpec;
}

/** Parses `cola-ud:…` / `cola-od:…` (see the module comment); ReglabError on bad input. */
export function parseOptimizerSpec(text: string): LangevinSpec {
  const name = text.trim().split(/[:@]/)[0];
  const schema = [UNDERDAMPED_SCHEMA, OVERDAMPED_SCHEMA].find(
    (s) => s.name === name || (s.aliases ?? []).includes(name),
  );
  if (!schema) {
    throw new ReglabError(
      `unknown Langevin optimizer "${name}" in "${text}"`,
      'use cola-ud or cola-od, e.g. cola-ud:h=0.3:gamma=1:tau=0',
    );
  }
  return langevinSpec(parseSpec(text, schema));
}

/** Builds the optimizer of a spec string (or parsed spec) with the given constraint rules. */
export function createLangevinOptimizer(
  spec: string | LangevinSpec,
  constraints: readonly ConstraintRule[] | string | readonly string[] = [],
): UnderdampedLangevin | OverdampedLangevin {
  const parsed = typeof spec === 'string' ? parseOptimizerSpec(spec) : spec;
  return parsed.kind === 'underdamped'
    ? new UnderdampedLangevin({ ...parsed.options, constraints })
    : new OverdampedLangevin({ ...parsed.options, constraints });
}
