/**
 * Statistics for experiment tables: mean ± sample std with a Student-t 95% confidence interval,
 * and the paired t-test of a method against a baseline over the same seeds.
 * The 1-D Wasserstein-1 distances PER and the activation monitor report live here too. The special
 * functions they need (Student t, Φ, Φ⁻¹) are in core/special.ts.
 */
import { check } from '../core/errors.js';
import {
  normalCdf,
  normalPdf,
  normalQuantile,
  studentTQuantile,
  studentTTwoSided,
} from '../core/special.js';

/** Mean, spread and 95% confidence interval of a sample. */
export interface Summary {
  readonly mean: number;
  /** Sample standard deviation (divisor n − 1); NaN when n = 1. */
  readonly std: number;
  readonly n: number;
  /** Student-t 95% confidence interval of the mean, mean ± t_{0.975, n−1} · std/√n; [NaN, NaN] when n = 1. */
  readonly ci95: readonly [number, number];
}

/** A paired t-test of a against b (same seeds, same order). */
export interface PairedComparison {
  /** Mean of the differences a_i − b_i. */
  readonly meanDiff: number;
  /** Sample standard deviation of the differences. */
  readonly std: number;
  /** t = meanDiff / (std/√n); ±Infinity when the differences are equal and not 0, 0 when all are 0. */
  readonly t: number;
  /** Degrees of freedom, n − 1. */
  readonly df: number;
  /** Two-sided p-value, P(|T_df| ≥ |t|). */
  readonly pValue: number;
  /** 95% confidence interval of the mean difference. */
  readonly ci95: readonly [number, number];
}

/** Checks a sample is non-empty and finite. */
function checkSample(values: ArrayLike<number>, what: string): void {
  check(values.length > 0, `${what} is empty`, 'pass at least one value (two for a spread)');
  for (let i = 0; i < values.length; i++) {
    check(
      Number.isFinite(values[i]),
      `${what}[${i}] is ${values[i]}`,
      'drop failed or diverged runs before summarising, and report them',
    );
  }
}

/** Mean and sample standard deviation (n − 1) of a sample, two-pass. */
function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(squares / (n - 1)) : NaN };
}

/** mean ± t_{0.975, n−1} · std/√n. */
function confidenceInterval(mean: number, std: number, n: number): [number, number] {
  if (n < 2) return [NaN, NaN];
  const half = (studentTQuantile(0.975, n - 1) * std) / Math.sqrt(n);
  return [mean - half, mean + half];
}

/** Mean, sample std (n − 1), n and the Student-t 95% confidence interval of the mean. */
export function summarize(values: ArrayLike<number>): Summary {
  checkSample(values, 'the sample');
  const { mean, std } = meanAndStd(values);
  return { mean, std, n: values.length, ci95: confidenceInterval(mean, std, values.length) };
}

/** Paired two-sided t-test of a against b over the same seeds: the differences a_i − b_i against 0. */
export function pairedComparison(a: ArrayLike<number>, b: ArrayLike<number>): PairedComparison {
  check(
    a.length === b.length,
    `paired samples of ${a.length} and ${b.length} values`,
    'pair the runs seed by seed',
  );
  check(
    a.length >= 2,
    `a paired comparison of ${a.length} pair(s)`,
    'run at least 2 seeds of each method',
  );
  checkSample(a, 'a');
  checkSample(b, 'b');
  const diffs = Array.from(a, (value, i) => value - b[i]);
  const { mean, std } = meanAndStd(diffs);
  const n = diffs.length;
  const t = std > 0 ? mean / (std / Math.sqrt(n)) : mean === 0 ? 0 : Math.sign(mean) * Infinity;
  return {
    meanDiff: mean,
    std,
    t,
    df: n - 1,
    pValue: studentTTwoSided(t, n - 1),
    ci95: confidenceInterval(mean, std, n),
  };
}

/** `mean ± std` with `digits` decimals (just the mean when std is NaN, i.e. one run). */
export function formatMeanStd(summary: Pick<Summary, 'mean' | 'std'>, digits = 3): string {
  const mean = summary.mean.toFixed(digits);
  return Number.isNaN(summary.std) ? mean : `${mean} ± ${summary.std.toFixed(digits)}`;
}

/**
 * W1 between the empirical distribution of `values` and N(0, 1), exactly:
 * W1 = ∫₀¹ |F_n⁻¹(u) − Φ⁻¹(u)| du = Σ_i ∫_{Φ⁻¹((i−1)/n)}^{Φ⁻¹(i/n)} |x_(i) − z| φ(z) dz,
 * with ∫_lo^hi (x − z) φ(z) dz = x·(Φ(hi) − Φ(lo)) + φ(hi) − φ(lo) split at z = x.
 */
export function wasserstein1ToNormal(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const signedMass = (lo: number, hi: number, x: number) =>
    x * (normalCdf(hi) - normalCdf(lo)) + normalPdf(hi) - normalPdf(lo);
  let total = 0;
  let lo = -Infinity;
  for (let i = 0; i < n; i++) {
    const hi = i === n - 1 ? Infinity : normalQuantile((i + 1) / n);
    const x = sorted[i];
    const split = Math.min(Math.max(x, lo), hi);
    total += signedMass(lo, split, x) - signedMass(split, hi, x);
    lo = hi;
  }
  return total;
}

/** W1 between two 1-D empirical distributions of equal size: mean |sorted a − sorted b|. */
export function wasserstein1Empirical(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `empirical W1 needs two non-empty samples of equal size, got ${a.length} and ${b.length}`,
    );
  }
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  let sum = 0;
  for (let i = 0; i < sa.length; i++) sum += Math.abs(sa[i] - sb[i]);
  return sum / sa.length;
}
