/**
 * Command-line factories: `--reg per:1e-4`, `--reg per:pre:channels:slices=128:1e-4@dense_1`,
 * `--reg l1act:1e-5`, `--reg l2act:1e-5`, `--reg vcl:group=5:0.01`, `--reg decov:1e-4`, and the
 * monitor `activations[:slices=64][:seed=0]` behind `--track-activations`.
 */
import { ReglabError } from '../../core/errors.js';
import {
  choiceParam,
  numberParam,
  type MonitorFactory,
  type TermFactory,
  type TermSpec,
} from '../../train/term-spec.js';
import {
  CONV_MODES,
  PLACEMENTS,
  type ActivationSelection,
  type ConvMode,
  type Placement,
} from './activation-sites.js';
import { activationStats } from '../../monitors/activation-stats.js';
import { decov, l1Activation, l2Activation, vcl } from './activation-penalties.js';
import { per } from './per-term.js';

/** Rejects bare words and `key=` options the term does not know (typos fail loudly). */
function checkOptions(spec: TermSpec, words: readonly string[], keys: readonly string[]): void {
  const unknownWord = spec.words.find((word) => !words.includes(word));
  const unknownKey = Object.keys(spec.params).find((key) => !keys.includes(key));
  const bad = unknownWord ?? (unknownKey && `${unknownKey}=`);
  if (bad) {
    throw new ReglabError(
      `unknown option "${bad}" in "${spec.text}"`,
      `${spec.name} accepts ${[...words, ...keys.map((k) => `${k}=…`)].join(', ') || 'no options'}`,
    );
  }
}

/** The selection options every activation term reads: `pre`/`post`, `flatten`/`channels`, `@layers`. */
function selection(
  spec: TermSpec,
  defaults: { placement?: Placement; conv?: ConvMode } = {},
): ActivationSelection {
  return {
    layers: spec.layers,
    placement: choiceParam(spec, 'placement', PLACEMENTS, defaults.placement ?? 'post'),
    conv: choiceParam(spec, 'conv', CONV_MODES, defaults.conv ?? 'flatten'),
  };
}

const SELECTION_WORDS = [...PLACEMENTS, ...CONV_MODES];
const SELECTION_KEYS = ['placement', 'conv'];

/** `--reg` factories of the PER module. */
export const termFactories: Record<string, TermFactory> = {
  per: {
    usage:
      'per[:pre][:channels][:slices=256]:λ[@layers]  projected error function regularization (Joo et al. 2020)',
    create(spec) {
      checkOptions(spec, SELECTION_WORDS, [...SELECTION_KEYS, 'slices']);
      return per({
        lambda: spec.weight,
        slices: numberParam(spec, 'slices', 256),
        ...selection(spec),
      });
    },
  },
  l1act: {
    usage: 'l1act[:pre]:λ[@layers]  L1 activation penalty (1/b)Σ|h|',
    create(spec) {
      checkOptions(spec, SELECTION_WORDS, SELECTION_KEYS);
      return l1Activation({ lambda: spec.weight, ...selection(spec) });
    },
  },
  l2act: {
    usage: 'l2act[:pre]:λ[@layers]  L2 activation penalty (1/b)Σh²',
    create(spec) {
      checkOptions(spec, SELECTION_WORDS, SELECTION_KEYS);
      return l2Activation({ lambda: spec.weight, ...selection(spec) });
    },
  },
  vcl: {
    usage:
      'vcl[:post][:channels][:group=5]:λ[@layers]  variance constancy loss (Littwin & Wolf 2018), paper λ 0.01',
    create(spec) {
      checkOptions(spec, SELECTION_WORDS, [...SELECTION_KEYS, 'group']);
      return vcl({
        lambda: spec.weight,
        groupSize: numberParam(spec, 'group', 5),
        ...selection(spec, { placement: 'pre' }),
      });
    },
  },
  decov: {
    usage:
      'decov[:pre][:flatten]:λ[@layers]  DeCov cross-covariance penalty (Cogswell et al. 2016)',
    create(spec) {
      checkOptions(spec, SELECTION_WORDS, SELECTION_KEYS);
      return decov({ lambda: spec.weight, ...selection(spec, { conv: 'channels' }) });
    },
  },
};

/** `--track-activations` monitor: per-layer mean, variance and sliced W1 to N(0, I). */
export const monitorFactories: Record<string, MonitorFactory> = {
  activations: {
    usage:
      'activations[:pre][:channels][:slices=64][:seed=0]:0[@layers]  per-layer activation mean, variance, sliced W1 to N(0,I)',
    create(spec) {
      checkOptions(spec, SELECTION_WORDS, [...SELECTION_KEYS, 'slices', 'seed']);
      return activationStats({
        slices: numberParam(spec, 'slices', 64),
        seed: numberParam(spec, 'seed', 0),
        ...selection(spec),
      });
    },
  },
};
