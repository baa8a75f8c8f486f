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
 * - a glob over layer names, e.g. `conv_*`, `stage*_conv?` (`*` any run of characters, `?` one;
 *   the grammar's globs, core/spec.ts `targetMatcher`): the kernels of every layer it matches;
 * - a name with a slash, e.g. `dense_1/kernel`: any variable whose name contains it;
 * - `*`: every kernel;
 * - a RegExp (or `/…/flags` in a spec string): any variable whose name it matches — this is the
 *   one way to constrain a non-kernel.
 *
 * `all-but-first` (a flag of every constraint, `orthogonal:all-but-first`, no targets): every
 * kernel but the first, as the official code constrains a ResNet-34 ("orthogonal constraints on
 * every kernel but the first conv"; a 3×3 stem on 1–3 input channels has fewer rows than
 * columns). It is a `*` rule that leaves out the first kernel among the variables the rules are
 * checked against ({@link checkRules}, which binds it): the first in the model's weight order,
 * which tfjs-layers keeps in topological order (a ResNet's `stem_conv`, the zoo's `conv_1` or
 * `dense_1`).
 *
 * Spec strings (`parseConstraintSpec`): one `constraint[:all-but-first][@target,…]` each, with
 * constraint `circle:R`, `sphere:R`, `orthogonal` or `none`, and the target `*` when left out:
 *   circle:0.05@dense_1    circle:0.1@dense_2
 *   none@conv_1            orthogonal@*
 *   orthogonal@stage*_conv*           orthogonal:all-but-first
 *   sphere:1@/dense_\d+\/kernel/
 */
import { ReglabError } from '../../core/errors.js';
import { Registry, targetMatcher, warnOnce } from '../../core/spec.js';
import type { Constraint } from './constraint.js';
import { circle } from './circle.js';
import { none } from './none.js';
import { orthogonal } from './orthogonal.js';
import { sphere } from './sphere.js';

export interface ConstraintRule {
  /** Layer name or glob, variable-name fragment with `/`, `*` for all kernels, or a RegExp. */
  pattern: string | RegExp;
  constraint: Constraint;
  /**
   * Set for `all-but-first` (pattern `*`): the first kernel's variable name, bound by
   * {@link checkRules} (see the module comment).
   */
  allButFirst?: { first?: string };
}

const KERNEL = /kernel(_\d+)?$/;

/** Whether `pattern` selects the variable `name` (see the module comment). */
export function ruleMatches(pattern: string | RegExp, name: string): boolean {
  if (pattern instanceof RegExp)
    return new RegExp(pattern.source, pattern.flags.replace('g', '')).test(name);
  const last = name.split('/').pop() ?? name;
  if (pattern === '*') return KERNEL.test(last);
  if (pattern.includes('/')) return name.includes(pattern);
  const layers = name.split('/').slice(0, -1);
  const glob = targetMatcher(pattern);
  return (glob ? layers.some(glob) : layers.includes(pattern)) && KERNEL.test(last);
}

/** Whether `rule` acts on the variable `name`: its pattern matches, and it is not the kernel `all-but-first` leaves out. */
function ruleActsOn(rule: ConstraintRule, name: string): boolean {
  return ruleMatches(rule.pattern, name) && rule.allButFirst?.first !== name;
}

/** The rule acting on variable `name` (see the module comment), or undefined when none does. */
export function ruleFor(
  rules: readonly ConstraintRule[],
  name: string,
): ConstraintRule | undefined {
  const matching = (fallback: boolean) =>
    rules.filter((r) => (r.pattern === '*') === fallback && ruleActsOn(r, name));
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
  const firstKernel = names.find((name) => ruleMatches('*', name));
  for (const rule of rules) if (rule.allButFirst) rule.allButFirst.first = firstKernel;
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

const radiusValue = { name: 'radius', type: 'number', above: 0, required: true } as const;
const targets = { name: 'layers' } as const;
const options = {
  'all-but-first': {
    type: 'flag',
    description: 'every kernel but the first (no targets), as the official ResNet setting',
  },
} as const;

/** The constraints by spec, in the one grammar (core/spec.ts): `circle:R`, `sphere:R`, `orthogonal`, `none`. */
export const constraintRegistry = new Registry<Constraint, void>('constraint', [
  {
    schema: {
      name: 'circle',
      summary: 'each scalar weight on a circle of radius R with its auxiliary ξ',
      value: radiusValue,
      options,
      targets,
    },
    create: (spec) => circle(spec.value as number),
  },
  {
    schema: {
      name: 'sphere',
      summary: "each unit's incoming weights on a sphere of radius R",
      value: radiusValue,
      options,
      targets,
    },
    create: (spec) => sphere(spec.value as number),
  },
  {
    schema: {
      name: 'orthogonal',
      summary: 'the kernel matrix on the Stiefel manifold (MᵀM = I)',
      options,
      targets,
    },
    create: () => orthogonal(),
  },
  {
    schema: {
      name: 'none',
      summary: 'unconstrained (e.g. to exempt one layer from a `*` rule)',
      options,
      targets,
    },
    create: () => none(),
  },
]);

/** Parses one constraint, `circle:0.05`, `sphere:1`, `orthogonal`, `none` (targets ignored). */
export function parseConstraint(text: string): Constraint {
  return constraintRegistry.create(text.split('@')[0], undefined);
}

function parseTarget(target: string, whole: string): string | RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(target);
  if (!m) return target;
  try {
    return new RegExp(m[1], m[2]);
  } catch (err) {
    throw new ReglabError(
      `constraint rule "${whole}": bad regular expression ${target} (${(err as Error).message})`,
      'fix the pattern between the slashes',
    );
  }
}

/**
 * Parses constraint rules from CLI spec strings, one rule spec each (`circle:0.05@dense_1`,
 * several targets `orthogonal@conv_2,conv_3` give one rule each, no target means `*`). The
 * first wave's comma-joined rules (`circle:0.05@dense_1,circle:0.1@dense_2`) still parse, with
 * a deprecation message.
 */
export function parseConstraintSpec(spec: string | readonly string[]): ConstraintRule[] {
  const specs = typeof spec === 'string' ? [spec] : spec;
  const rules: ConstraintRule[] = [];
  for (const text of specs) {
    // Split on commas that start a new rule (a regex target may itself contain commas).
    const parts = text.split(/,(?=\s*(?:circle|sphere|orthogonal|none)\b)/);
    if (parts.length > 1)
      warnOnce(
        `"${text}": one constraint rule per --constraint (write ${parts.map((p) => `--constraint ${p}`).join(' ')})`,
      );
    for (const part of parts) {
      const parsed = constraintRegistry.parse(part);
      const constraint = constraintRegistry.get(parsed.name).create(parsed, undefined);
      if (parsed.options['all-but-first']) {
        if (parsed.targets)
          throw new ReglabError(
            `constraint rule "${part}": all-but-first takes no @targets (it means every kernel but the first)`,
            `write ${parsed.name}:all-but-first alone, or name the layers (${parsed.name}@conv_*)`,
          );
        rules.push({ pattern: '*', constraint, allButFirst: {} });
        continue;
      }
      for (const target of parsed.targets ?? ['*'])
        rules.push({ pattern: parseTarget(target, part), constraint });
    }
  }
  return rules;
}

/** The spec string of a rule (inverse of {@link parseConstraintSpec}). */
export function ruleToSpec(rule: ConstraintRule): string {
  if (rule.allButFirst) return `${rule.constraint.spec()}:all-but-first`;
  const target =
    rule.pattern instanceof RegExp ? `/${rule.pattern.source}/${rule.pattern.flags}` : rule.pattern;
  return `${rule.constraint.spec()}@${target}`;
}
