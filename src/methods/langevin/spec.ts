/**
 * CLI spec strings for the Langevin optimizers:
 *
 *   cola-ud:h=0.3,gamma=1,tau=0        underdamped (BAOAB + RATTLE); also c=0.74 instead of gamma
 *   cola-ud:lr=0.1,momentum=0.9        underdamped in SGD-with-momentum units
 *   cola-od:h=0.01,tau=1e-4,seed=3     overdamped (constrained SGLD)
 *
 * Names: `cola-ud` (aliases `underdamped`, `baoab`), `cola-od` (aliases `overdamped`, `sgld`).
 * Keys: h, gamma, c, lr, momentum (underdamped), h, lr (overdamped), and for both tau, seed,
 * shakeTol, shakeMaxIter. Constraint rules come separately (`parseConstraintSpec`), e.g.
 * `--optimizer cola-ud:h=0.3,gamma=1,tau=0 --constraint circle:0.05@dense_1,circle:0.1@dense_2`.
 */
import { ReglabError } from '../../core/errors.js';
import type { ConstraintRule } from './rules.js';
import { OverdampedLangevin, type OverdampedOptions } from './overdamped.js';
import { UnderdampedLangevin, type UnderdampedOptions } from './underdamped.js';

export type LangevinSpec =
  | { kind: 'underdamped'; options: UnderdampedOptions }
  | { kind: 'overdamped'; options: OverdampedOptions };

const NAMES: Record<string, 'underdamped' | 'overdamped'> = {
  'cola-ud': 'underdamped',
  underdamped: 'underdamped',
  baoab: 'underdamped',
  'cola-od': 'overdamped',
  overdamped: 'overdamped',
  sgld: 'overdamped',
};

const COMMON = ['tau', 'seed', 'shakeTol', 'shakeMaxIter'];
const KEYS = {
  underdamped: ['h', 'gamma', 'c', 'lr', 'momentum', ...COMMON],
  overdamped: ['h', 'lr', ...COMMON],
};

/** Parses `name:key=value,…` (see the module comment); throws ReglabError on bad syntax. */
export function parseOptimizerSpec(spec: string): LangevinSpec {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  const kind = NAMES[name];
  if (!kind) {
    throw new ReglabError(
      `unknown Langevin optimizer "${name}" in "${spec}"`,
      `use one of ${Object.keys(NAMES).join(', ')}, e.g. cola-ud:h=0.3,gamma=1,tau=0`,
    );
  }
  const options: Record<string, number> = {};
  const body = colon < 0 ? '' : text.slice(colon + 1);
  for (const item of body.split(',')) {
    if (item.trim() === '' && body.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw new ReglabError(
        `optimizer spec "${spec}": "${item}" is not key=value`,
        `write e.g. ${name}:h=0.3,gamma=1`,
      );
    }
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    if (!KEYS[kind].includes(key)) {
      throw new ReglabError(
        `optimizer spec "${spec}": unknown key "${key}" for ${name}`,
        `allowed keys: ${KEYS[kind].join(', ')}`,
      );
    }
    if (key in options)
      throw new ReglabError(`optimizer spec "${spec}": "${key}" given twice`, 'give each key once');
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value)) {
      throw new ReglabError(
        `optimizer spec "${spec}": ${key}="${raw}" is not a number`,
        `write e.g. ${key}=0.1`,
      );
    }
    options[key] = value;
  }
  if (kind === 'underdamped' && options.lr === undefined && options.h === undefined) {
    throw new ReglabError(
      `optimizer spec "${spec}": needs h (or lr and momentum)`,
      'e.g. cola-ud:h=0.3,gamma=1,tau=0',
    );
  }
  if (kind === 'overdamped' && options.lr === undefined && options.h === undefined) {
    throw new ReglabError(`optimizer spec "${spec}": needs h`, 'e.g. cola-od:h=0.01,tau=1e-4');
  }
  return { kind, options } as LangevinSpec;
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
