/**
 * Racecar training (Xie & Thuerey, arXiv 2007.00024): the reverse pass, its term, the
 * orthogonality baselines, `reconstruct`, and the `--reg racecar:…` / `--reg ort:…` factories.
 */
import { choiceParam, numberParam, type TermFactory } from '../../train/term-spec.js';
import { orthogonality } from './orthogonality.js';
import { racecar } from './racecar-term.js';
import { REVERSE_STARTS } from './reverse-pass.js';

export * from './reverse-ops.js';
export * from './reverse-pass.js';
export * from './racecar-term.js';
export * from './orthogonality.js';
export * from '../../models/residual.js';

/**
 * `--reg racecar:λ` with options `sum|mean`, `full|layerwise`, `unpool=argmax|nearest` and
 * `@state,…`; `--reg ort:λ` (SRIP) / `ort:frobenius:λ` with `iterations=N` and `@layer,…`.
 */
export const termFactories: Record<string, TermFactory> = {
  racecar: {
    usage:
      'racecar[:sum|mean][:full|layerwise][:pre-softmax|probabilities][:unpool=argmax|nearest]:λ[@states]  reverse-pass reconstruction (Xie & Thuerey 2020)',
    create: (spec) =>
      racecar({
        lambda: spec.weight,
        reduction: choiceParam(spec, 'reduction', ['sum', 'mean'] as const, 'sum'),
        mode: choiceParam(spec, 'mode', ['full', 'layerwise'] as const, 'full'),
        unpool: choiceParam(spec, 'unpool', ['argmax', 'nearest'] as const, 'argmax'),
        start: choiceParam(spec, 'start', REVERSE_STARTS, 'pre-softmax'),
        layers: spec.layers,
      }),
  },
  ort: {
    usage:
      'ort[:srip|frobenius][:iterations=N]:λ[@layers]  orthogonality baseline (SRIP power iteration or ‖WᵀW−I‖²_F)',
    create: (spec) =>
      orthogonality({
        factor: spec.weight,
        kind: choiceParam(spec, 'kind', ['srip', 'frobenius'] as const, 'srip'),
        powerIterations: numberParam(spec, 'iterations', 1),
        layers: spec.layers,
      }),
  },
};
