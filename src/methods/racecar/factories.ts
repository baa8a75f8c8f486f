/**
 * The spec factories of racecar training: `racecar:λ` and the orthogonality baselines `ort:λ`.
 *
 *   racecar[:sum|mean][:full|layerwise][:pre-softmax|probabilities][:unpool=argmax|nearest][:blocks|units]:λ[@states]
 *
 * `blocks|units` (option `states`, default `blocks`): which states a graph's reverse pass
 * matches — every block end, or only the trunk (residual-unit outputs, stem, input).
 *   ort[:srip|frobenius][:iterations=N]:λ[@layers]
 */
import type { SpecSchema } from '../../core/spec.js';
import type { TermFactory } from '../../train/term.js';
import { orthogonality, type OrthogonalityKind } from './orthogonality.js';
import { racecar, type RacecarReduction } from './racecar-term.js';
import type { UnpoolMode } from './reverse-ops.js';
import { MATCHED_STATES, type MatchedStates, type ReverseStart } from './reverse-pass.js';

/** The schema of `--reg racecar:…`. */
export const RACECAR_SCHEMA: SpecSchema = {
  name: 'racecar',
  summary: 'reverse-pass reconstruction λ·Σ½‖d′−d‖² (Xie & Thuerey 2020)',
  options: {
    reduction: { type: 'choice', values: ['sum', 'mean'], default: 'sum' },
    mode: { type: 'choice', values: ['full', 'layerwise'], default: 'full' },
    start: {
      type: 'choice',
      values: ['pre-softmax', 'probabilities'],
      default: 'pre-softmax',
      aliases: { logits: 'pre-softmax', output: 'probabilities' },
    },
    unpool: { type: 'choice', values: ['argmax', 'nearest'], default: 'argmax' },
    states: { type: 'choice', values: MATCHED_STATES, default: 'blocks' },
  },
  value: { name: 'λ', type: 'number', min: 0, required: true },
  targets: { name: 'states' },
};

/** The schema of `--reg ort:…`. */
export const ORTHOGONALITY_SCHEMA: SpecSchema = {
  name: 'ort',
  summary: 'orthogonality baseline: SRIP power iteration or ‖WᵀW−I‖²_F',
  options: {
    kind: { type: 'choice', values: ['srip', 'frobenius'], default: 'srip' },
    iterations: { type: 'number', integer: true, min: 1, default: 1 },
  },
  value: { name: 'λ', type: 'number', min: 0, required: true },
  targets: { name: 'layers' },
};

/** `--reg racecar:λ`. */
export const racecarFactory: TermFactory = {
  schema: RACECAR_SCHEMA,
  create: ({ options, value, targets }) =>
    racecar({
      lambda: value as number,
      reduction: options.reduction as RacecarReduction,
      mode: options.mode as 'full' | 'layerwise',
      start: options.start as ReverseStart,
      unpool: options.unpool as UnpoolMode,
      states: options.states as MatchedStates,
      layers: targets,
    }),
};

/** `--reg ort:λ`. */
export const orthogonalityFactory: TermFactory = {
  schema: ORTHOGONALITY_SCHEMA,
  create: ({ options, value, targets }) =>
    orthogonality({
      factor: value as number,
      kind: options.kind as OrthogonalityKind,
      powerIterations: options.iterations as number,
      layers: targets,
    }),
};

/** Every term factory of racecar training. */
export const termFactories: readonly TermFactory[] = [racecarFactory, orthogonalityFactory];
