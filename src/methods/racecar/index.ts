/**
 * Racecar training (Xie & Thuerey, arXiv 2007.00024): the reverse pass, its term, the
 * orthogonality baselines, `reconstruct`, and the `--reg racecar:…` / `--reg ort:…` factories.
 * The reverse operators of single layers stay inside (reverse-ops.ts).
 */
export {
  REVERSE_STARTS,
  checkReversible,
  reconstruct,
  reversePass,
  reverseStart,
  type MatchedStates,
  type ReconstructOptions,
  type ReversePassOptions,
  type ReversePassResult,
  type ReverseStart,
  type ReverseState,
} from './reverse-pass.js';
export { SUPPORTED_LAYERS, type ReverseRole, type UnpoolMode } from './reverse-ops.js';
export {
  RacecarTerm,
  racecar,
  reconstructionLoss,
  type RacecarOptions,
  type RacecarReduction,
} from './racecar-term.js';
export {
  OrthogonalityTerm,
  frobeniusDeviation,
  modelKernels,
  orthogonality,
  sripSigma,
  sripSquared,
  type OrthogonalityKind,
  type OrthogonalityOptions,
} from './orthogonality.js';
export {
  ORTHOGONALITY_SCHEMA,
  RACECAR_SCHEMA,
  orthogonalityFactory,
  racecarFactory,
  termFactories,
} from './factories.js';
