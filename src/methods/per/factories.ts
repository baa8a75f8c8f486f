/**
 * Command-line factories: `--reg per:1e-4`, `--reg per:pre:channels:slices=128:1e-4@dense_1`,
 * `--reg l1act:1e-5`, `--reg l2act:1e-5`, `--reg vcl:group=5:0.01`, `--reg decov:1e-4`, and the
 * baselines share the selection options (`post|pre`, `flatten|channels`, `@layers`).
 */
import type { OptionSchema, SpecSchema } from '../../core/spec.js';
import type { TermFactory } from '../../train/term.js';
import { selectionOf, selectionOptions, type ConvMode, type Placement } from '../../train/sites.js';
import { decov, l1Activation, l2Activation, vcl } from './activation-penalties.js';
import { per } from './per-term.js';

/** An activation term's schema: the selection options, `extra` ones, a weight λ and `@layers`. */
function activationSchema(
  name: string,
  summary: string,
  extra: Record<string, OptionSchema> = {},
  defaults: { placement?: Placement; conv?: ConvMode } = {},
): SpecSchema {
  return {
    name,
    summary,
    options: { ...selectionOptions(defaults), ...extra },
    value: { name: 'λ', type: 'number', min: 0, required: true },
    targets: { name: 'layers' },
  };
}

/** `--reg per:λ`: the projected error function regularization. */
export const perFactory: TermFactory = {
  schema: activationSchema(
    'per',
    'projected error function regularization towards N(0, I) (Joo et al. 2020)',
    { slices: { type: 'number', integer: true, min: 1, default: 256 } },
  ),
  create: (spec) =>
    per({
      lambda: spec.value as number,
      slices: spec.options.slices as number,
      ...selectionOf(spec),
    }),
};

/** `--reg l1act:λ`. */
export const l1ActivationFactory: TermFactory = {
  schema: activationSchema('l1act', 'L1 activation penalty (1/b)Σ|h|'),
  create: (spec) => l1Activation({ lambda: spec.value as number, ...selectionOf(spec) }),
};

/** `--reg l2act:λ`. */
export const l2ActivationFactory: TermFactory = {
  schema: activationSchema('l2act', 'L2 activation penalty (1/b)Σh²'),
  create: (spec) => l2Activation({ lambda: spec.value as number, ...selectionOf(spec) }),
};

/** `--reg vcl:λ`: variance constancy loss, before the non-linearity by default. */
export const vclFactory: TermFactory = {
  schema: activationSchema(
    'vcl',
    'variance constancy loss (Littwin & Wolf 2018), paper λ 0.01',
    { group: { type: 'number', integer: true, min: 2, default: 5 } },
    { placement: 'pre' },
  ),
  create: (spec) =>
    vcl({
      lambda: spec.value as number,
      groupSize: spec.options.group as number,
      ...selectionOf(spec),
    }),
};

/** `--reg decov:λ`: the DeCov cross-covariance penalty, per channel by default. */
export const decovFactory: TermFactory = {
  schema: activationSchema(
    'decov',
    'DeCov cross-covariance penalty (Cogswell et al. 2016)',
    {},
    { conv: 'channels' },
  ),
  create: (spec) => decov({ lambda: spec.value as number, ...selectionOf(spec) }),
};

/** Every term factory of the PER module (PER and its baselines). */
export const termFactories: readonly TermFactory[] = [
  perFactory,
  l1ActivationFactory,
  l2ActivationFactory,
  vclFactory,
  decovFactory,
];
