/**
 * Special functions in double precision (plain JavaScript, off the training path), one home for
 * all of them: the standard normal (erf, φ, Φ, Φ⁻¹) for PER's exact 1-D Wasserstein distances,
 * the monitors and as test oracles independent of TF.js's float32 `erf`; log-gamma, the
 * regularised incomplete beta function and Student's t for the experiment statistics.
 *
 * They are written out rather than taken from a package: short, well known (erf by its Maclaurin
 * series and the continued fraction of erfc; Acklam's Φ⁻¹ refined by Halley steps; Lanczos'
 * log-gamma; the incomplete beta's continued fraction with Lentz's method), tested against
 * tabulated values (test/core/special.test.ts, test/analysis/stats.test.ts), and reglab stays
 * free of a dependency for 200 lines.
 */
import { check } from './errors.js';

const SQRT_PI = Math.sqrt(Math.PI);

/** erf(x) to ~1e-14: Maclaurin series for |x| < 3, continued fraction of erfc beyond. */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / SQRT_PI) * sum;
  }
  return 1 - erfc(x);
}

/** erfc(x) for x ≥ 3 by the continued fraction erfc x = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfc(x: number): number {
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / SQRT_PI / fraction;
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0;
}

/** Standard normal distribution function Φ(x). */
export function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/**
 * Φ⁻¹(p): Acklam's rational approximation (relative error 1.2e-9) refined by two Halley
 * steps on Φ(x) − p. Returns ∓∞ at p = 0 / 1.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const tail =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    x = p < low ? tail : -tail;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  for (let step = 0; step < 2; step++) {
    const error = normalCdf(x) - p;
    const u = error / normalPdf(x);
    x -= u / (1 + (x * u) / 2);
  }
  return x;
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
