/**
 * Which constraint acts on which variable, and the CLI syntax for it.
 *
 * A rule pairs a target with a constraint. Each variable gets at most one rule: a rule with a
 * specific target (layer name, name with `/`, RegExp) wins over `*`, which is the fallback for
 * the kernels no specific rule names; two specific rules (or two `*` rules) on one variable are
 * an error, not a silent precedence. Variables no rule matches (biases, batch-norm parameters, …)
 * are unconstrained. Checked against the variables an optimizer updates ({@link checkRules}), a
 * rule that acts on no variable — a typo such as `circle:0.05@dens_1` — is an error listing them.
 *
 * Targets:
 * - a layer name, e.g. `dense_1`: that layer's kernel(s) (`dense_1/kernel`, `conv_2/kernel`);
 * - a name with a slash, e.g. `dense_1/kernel`: any variable whose name contains it;
 * - `*`: every kernel;
 * - a RegExp (or `/…/flags` in a spec string): any variable whose name it matches — this is the
 *   one way to constrain a non-kernel.
 *
 * Spec strings (`parseConstraintSpec`): comma-separated `constraint[@target]`, with constraint
 * `circle:R`, `sphere:R`, `orthogonal` or `none`, and the target `*` when left out:
 *   circle:0.05@dense_1,circle:0.1@dense_2
 *   none@conv_1,orthogonal@*
 *   sphere:1@/dense_\d+\/kernel/
 */
import { ReglabError } from '../core/errors.js';
import type { Constraint } from './constraint.js';
import { circle } from './circle.js';
import { none } from './none.js';
import { orthogonal } from './orthogonal.js';
import { sphere } from './sphere.js';

export interface ConstraintRule {
  /** Layer name, variable-name fragment with `/`, `*` for all kernels, or a RegExp. */
  pattern: string | RegExp;
  constraint: Constraint;
}

const KERNEL = /kernel(_\d+)?$/;

/** Whether `pattern` selects the variable `name` (see the module comment). */
export function ruleMatches(pattern: string | RegExp, name: string): boolean {
  if (pattern instanceof RegExp)
    return new RegExp(pattern.source, pattern.flags.replace('g', '')).test(name);
  const last = name.split('/').pop() ?? name;
  if (pattern === '*') return KERNEL.test(last);
  if (pattern.includes('/')) return name.includes(pattern);
  const parts = name.split('/');
  return parts.slice(0, -1).includes(pattern) && KERNEL.test(last);
}

/** The rule acting on variable `name` (see the module comment), or undefined when none does. */
export function ruleFor(
  rules: readonly ConstraintRule[],
  name: string,
): ConstraintRule | undefined {
  const matching = (fallback: boolean) =>
    rules.filter((r) => (r.pattern === '*') === fallback && ruleMatches(r.pattern, name));
  const specific = matching(false);
  const candidates = specific.length > 0 ? specific : matching(true);
  if (candidates.length > 1) {
    throw new ReglabError(
      `variable ${name} is matched by ${candidates.length} constraint rules: ${candidates.map(ruleToSpec).join(', ')}`,
      'give each variable one rule (a rule with target * is the fallback for the kernels no other rule names)',
    );
  }
  return candidates[0];
}

/** The constraint of variable `name`: its rule's ({@link ruleFor}), else `none`. */
export function resolveConstraint(rules: readonly ConstraintRule[], name: string): Constraint {
  return ruleFor(rules, name)?.constraint ?? none();
}

/** How many variable names an error lists before it abbreviates. */
const LISTED_NAMES = 40;

/**
 * Checks `rules` against the names of every variable they are meant for (an optimizer's
 * variables): no variable may be matched by two rules ({@link ruleFor}), and every rule must act
 * on at least one variable — else the error names the rule and lists the variables, so a typo
 * in a target cannot silently train unconstrained.
 */
export function checkRules(rules: readonly ConstraintRule[], names: readonly string[]): void {
  const used = new Set<ConstraintRule>();
  for (const name of names) {
    const rule = ruleFor(rules, name);
    if (rule) used.add(rule);
  }
  const unused = rules.filter((rule) => !used.has(rule));
  if (unused.length === 0) return;
  const listed = names.slice(0, LISTED_NAMES).join(', ');
  const more = names.length > LISTED_NAMES ? ` … (${names.length - LISTED_NAMES} more)` : '';
  const shadowed = (rule: ConstraintRule) =>
    rule.pattern === '*' && names.some((name) => ruleMatches('*', name))
      ? ' (every kernel it matches has a more specific rule)'
      : '';
  throw new ReglabError(
    `constraint rule${unused.length > 1 ? 's' : ''} ${unused.map((r) => `"${ruleToSpec(r)}"${shadowed(r)}`).join(', ')} match${unused.length > 1 ? '' : 'es'} no variable`,
    `the variables are ${listed || '(none)'}${more}; target a layer name (dense_1), a name with "/" (dense_1/kernel), * (every kernel) or /regex/`,
  );
}

/** Parses one constraint, `circle:0.05`, `sphere:1`, `orthogonal`, `none`. */
export function parseConstraint(text: string): Constraint {
  const [kind, arg, extra] = text.trim().split(':');
  const radius = (): number => {
    const r = Number(arg);
    if (
      arg === undefined ||
      arg.trim() === '' ||
      extra !== undefined ||
      !Number.isFinite(r) ||
      r <= 0
    ) {
      throw new ReglabError(
        `constraint "${text}": ${kind} needs one positive radius`,
        `write ${kind}:R, e.g. ${kind}:0.05`,
      );
    }
    return r;
  };
  switch (kind) {
    case 'circle':
      return circle(radius());
    case 'sphere':
      return sphere(radius());
    case 'orthogonal':
    case 'none':
      if (arg !== undefined) {
        throw new ReglabError(
          `constraint "${text}": ${kind} takes no argument`,
          `write just "${kind}"`,
        );
      }
      return kind === 'orthogonal' ? orthogonal() : none();
    default:
      throw new ReglabError(
        `unknown constraint "${kind}" in "${text}"`,
        'use circle:R, sphere:R, orthogonal or none, e.g. circle:0.05@dense_1',
      );
  }
}

function parseTarget(text: string, whole: string): string | RegExp {
  const t = text.trim();
  if (t === '')
    throw new ReglabError(
      `constraint rule "${whole}": empty target after "@"`,
      'write e.g. circle:0.05@dense_1',
    );
  const m = /^\/(.*)\/([a-z]*)$/.exec(t);
  if (!m) return t;
  try {
    return new RegExp(m[1], m[2]);
  } catch (err) {
    throw new ReglabError(
      `constraint rule "${whole}": bad regular expression ${t} (${(err as Error).message})`,
      'fix the pattern between the slashes',
    );
  }
}

/**
 * Parses constraint rules from CLI spec strings (each may hold several comma-separated rules;
 * repeated `--constraint` flags can be passed as an array).
 */
export function parseConstraintSpec(spec: string | readonly string[]): ConstraintRule[] {
  const specs = typeof spec === 'string' ? [spec] : spec;
  const rules: ConstraintRule[] = [];
  for (const s of specs) {
    // Split on commas that start a new rule (a regex target may itself contain commas).
    const parts = s.split(/,(?=\s*(?:circle|sphere|orthogonal|none)\b)/);
    for (const part of parts) {
      if (part.trim() === '') {
        throw new ReglabError(
          `constraint spec "${s}" has an empty rule`,
          'separate rules with single commas: circle:0.05@dense_1,circle:0.1@dense_2',
        );
      }
      const at = part.indexOf('@');
      const constraint = parseConstraint(at < 0 ? part : part.slice(0, at));
      const pattern = at < 0 ? '*' : parseTarget(part.slice(at + 1), part);
      rules.push({ pattern, constraint });
    }
  }
  return rules;
}

/** The spec string of a rule (inverse of {@link parseConstraintSpec}). */
export function ruleToSpec(rule: ConstraintRule): string {
  const target =
    rule.pattern instanceof RegExp ? `/${rule.pattern.source}/${rule.pattern.flags}` : rule.pattern;
  return `${rule.constraint.spec()}@${target}`;
}
