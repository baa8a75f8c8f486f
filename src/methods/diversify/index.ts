/**
 * Diversifying regularization (discriminative form), center loss, greedy layer-wise training,
 * and the `--reg` factories `dr` and `center`.
 */
import { check } from '../../core/errors.js';
import type { TermFactory } from '../../train/term.js';
import { centerLoss } from './center.js';
import { diversify } from './diversify.js';
import { SIMILARITIES, type SimilarityKind } from './similarity.js';

export * from './pairs.js';
export * from './similarity.js';
export * from './diversify.js';
export * from './center.js';
export * from './greedy.js';

/** `--reg dr:λ`: `dr[:cosine|dot|rbf|margin][:tau=T][:margin=M][:maxPairs=P]:λ[@layers]`. */
export const diversifyFactory: TermFactory = {
  schema: {
    name: 'dr',
    summary: 'diversifying regularization (Kertesz-Farkas et al.)',
    options: {
      similarity: { type: 'choice', values: SIMILARITIES, default: 'cosine' },
      tau: { type: 'number', above: 0 },
      margin: { type: 'number', above: 0 },
      maxPairs: { type: 'number', integer: true, min: 1 },
    },
    value: { name: 'λ', type: 'number', min: 0, required: true },
    targets: { name: 'layers' },
  },
  create: ({ options, value, targets }) =>
    diversify({
      lambda: value as number,
      similarity: options.similarity as SimilarityKind,
      layers: targets,
      tau: options.tau as number | undefined,
      margin: options.margin as number | undefined,
      maxPairs: options.maxPairs as number | undefined,
    }),
};

/** `--reg center:λ[@layer]`: center loss on one feature layer. */
export const centerLossFactory: TermFactory = {
  schema: {
    name: 'center',
    summary: 'center loss (Wen et al. 2016), learned class centers',
    value: { name: 'λ', type: 'number', min: 0, required: true },
    targets: { name: 'layer' },
  },
  create: ({ value, targets }) => {
    check(
      (targets?.length ?? 0) <= 1,
      `center loss takes one layer, got @${targets?.join(',')}`,
      'write e.g. center:1e-3@dense_2',
    );
    return centerLoss({ lambda: value as number, layer: targets?.[0] });
  },
};

/** Every term factory of diversifying regularization. */
export const termFactories: readonly TermFactory[] = [diversifyFactory, centerLossFactory];
