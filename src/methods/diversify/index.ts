/**
 * Diversifying regularization (discriminative form), center loss, greedy layer-wise training,
 * and the `--reg` factories `dr` and `center`.
 */
import { check } from '../../core/errors.js';
import {
  choiceParam,
  numberParam,
  type TermFactory,
  type TermSpec,
} from '../../train/term-spec.js';
import { centerLoss } from './center.js';
import { diversify } from './diversify.js';
import { SIMILARITIES } from './similarity.js';

export * from './pairs.js';
export * from './similarity.js';
export * from './diversify.js';
export * from './center.js';
export * from './greedy.js';

function optionalNumber(spec: TermSpec, key: string): number | undefined {
  return spec.params[key] === undefined ? undefined : numberParam(spec, key, 0);
}

/** `--reg` factories: `dr:cosine:1e-2@dense_1,dense_2`, `center:1e-3@dense_2`. */
export const termFactories: Record<string, TermFactory> = {
  dr: {
    usage:
      'dr[:cosine|dot|rbf|margin][:tau=T][:margin=M][:maxPairs=P]:λ[@layers]  diversifying regularization (Kertesz-Farkas et al.)',
    create: (spec) => {
      const unknown = spec.words.filter(
        (word) => !(SIMILARITIES as readonly string[]).includes(word),
      );
      check(
        unknown.length === 0,
        `unknown DR option "${unknown.join(':')}" in "${spec.text}"`,
        `use a similarity (${SIMILARITIES.join(', ')}) or tau=, margin=, maxPairs=`,
      );
      return diversify({
        lambda: spec.weight,
        similarity: choiceParam(spec, 'similarity', SIMILARITIES, 'cosine'),
        layers: spec.layers,
        tau: optionalNumber(spec, 'tau'),
        margin: optionalNumber(spec, 'margin'),
        maxPairs: optionalNumber(spec, 'maxPairs'),
      });
    },
  },
  center: {
    usage: 'center:λ[@layer]  center loss (Wen et al. 2016), learned class centers',
    create: (spec) => {
      check(
        (spec.layers?.length ?? 0) <= 1,
        `center loss takes one layer, got @${spec.layers?.join(',')}`,
        'write e.g. center:1e-3@dense_2',
      );
      return centerLoss({ lambda: spec.weight, layer: spec.layers?.[0] });
    },
  },
};
