/**
 * Statistics for experiment tables: mean ± sample std with a Student-t 95% confidence interval,
 * and the paired t-test of a method against a baseline over the same seeds.
 *
 * The special functions (log-gamma, the regularised incomplete beta function, the t CDF and its
 * inverse) are written out here rather than taken from a package: they are short, well known
 * (Lanczos' log-gamma; the incomplete beta's continued fraction evaluated with Lentz's method)
 * and tested against tabulated values, and reglab stays free of a dependency for 100 lines.
 */
import { check } from '../core/errors.js';

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

/** Lanczos coefficients (g = 7, 9 terms), relative error ~1e-15 for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos approximation, with the reflection formula below 0.5). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let series = LANCZOS[0];
  for (let k = 1; k < LANCZOS.length; k++) series += LANCZOS[k] / (z + k);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** Keeps a Lentz denominator away from 0. */
function nonZero(value: number): number {
  return Math.abs(value) < 1e-300 ? 1e-300 : value;
}

/** The continued fraction of I_x(a, b) (converges fast for x < (a + 1)/(a + b + 2)), modified Lentz. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 / nonZero(1 - ((a + b) * x) / (a + 1));
  let fraction = d;
  for (let m = 1; m <= 500; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    for (const coefficient of [even, odd]) {
      d = 1 / nonZero(1 + coefficient * d);
      c = nonZero(1 + coefficient / c);
      fraction *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-16) break;
  }
  return fraction;
}

/** The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  check(
    a > 0 && b > 0 && x >= 0 && x <= 1,
    `I_x(a, b) asked at x=${x}, a=${a}, b=${b}`,
    'needs a, b > 0 and 0 ≤ x ≤ 1',
  );
  if (x === 0 || x === 1) return x;
  const logFront =
    a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Two-sided tail P(|T| ≥ |t|) of Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** CDF P(T ≤ t) of Student's t distribution with `df` > 0 degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  check(df > 0, `the t distribution needs df > 0, got ${df}`, 'pass n − 1 for a sample of n ≥ 2');
  const tail = studentTTwoSided(t, df) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile (inverse CDF) of Student's t with `df` > 0 degrees of freedom, by bisection to ~1e-13. */
export function studentTQuantile(p: number, df: number): number {
  check(
    p > 0 && p < 1,
    `the t quantile needs 0 < p < 1, got ${p}`,
    'e.g. 0.975 for a two-sided 95% interval',
  );
  check(df > 0, `the t distribution needs df > 0, got ${df}`, 'pass n − 1 for a sample of n ≥ 2');
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const upperTail = 2 * (1 - p); // two-sided tail at the quantile
  let lo = 0;
  let hi = 1;
  while (studentTTwoSided(hi, df) > upperTail) [lo, hi] = [hi, 2 * hi];
  while (hi - lo > 1e-13 * hi) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) > upperTail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
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
