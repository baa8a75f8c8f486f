/**
 * Standard normal functions in double precision (plain JavaScript, off the training path):
 * the exact 1-D Wasserstein-1 distance to N(0, 1) and the monitors need them, and tests use
 * them as an oracle independent of TF.js's float32 `erf`.
 */

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

/** f(x) = E_{y~N(0,1)}|x − y| = x·erf(x/√2) + √(2/π)·e^{−x²/2} in double precision. */
export function projectedErrorScalar(x: number): number {
  return x * erf(x / Math.SQRT2) + Math.sqrt(2 / Math.PI) * Math.exp(-0.5 * x * x);
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
