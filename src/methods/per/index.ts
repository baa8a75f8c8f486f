/**
 * PER — projected error function regularization (Joo, Kang & Kim, ICLR 2020) — with its
 * baselines (L1/L2 activation penalties, VCL, DeCov) and the activation monitor.
 */
export {
  ActivationSelector,
  CONV_MODES,
  PLACEMENTS,
  asSamples,
  resolveSites,
  siteActivations,
  siteUnits,
  type ActivationSelection,
  type ActivationSite,
  type ConvMode,
  type Placement,
  type SiteActivations,
} from './activation-sites.js';
export { ActivationTerm, type ActivationTermOptions } from './activation-term.js';
export { PerTerm, per, type PerOptions } from './per-term.js';
export { fastNormalTensor, fillNormal } from '../../core/fast-normal.js';
export {
  projectedError,
  projectedErrorFunction,
  projectedErrorLoss,
  randomDirections,
} from './projected-error.js';
export {
  ActivationNormPenalty,
  DecovTerm,
  VclTerm,
  decov,
  decovPenalty,
  l1Activation,
  l2Activation,
  vcl,
  type VclOptions,
} from './activation-penalties.js';
export {
  ActivationStatsMonitor,
  activationStats,
  slicedWasserstein1,
  slicedWasserstein1ToNormal,
  type ActivationStatsOptions,
} from '../../monitors/activation-stats.js';
export { wasserstein1Empirical, wasserstein1ToNormal } from '../../analysis/stats.js';
export * from './factories.js';
