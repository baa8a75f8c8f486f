/**
 * Racecar training (Xie & Thuerey, arXiv 2007.00024): the reverse pass, its term, the
 * orthogonality baselines, `reconstruct`, and the `--reg racecar:…` / `--reg ort:…` factories.
 */
export * from './reverse-ops.js';
export * from './reverse-pass.js';
export * from './racecar-term.js';
export * from './orthogonality.js';
export * from './factories.js';
