/** Tests of the experiment-table statistics against tabulated quantiles and p-values. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose } from '../support.js';
import { formatMeanStd, pairedComparison, summarize } from '../../src/analysis/stats.js';
import {
  logGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
} from '../../src/core/special.js';
import { ReglabError } from '../../src/core/errors.js';

describe('special functions', () => {
  it('logGamma matches factorials and Γ(1/2) = √π', () => {
    assertClose(logGamma(1), 0, { atol: 1e-13 });
    assertClose(logGamma(10), Math.log(362880), { atol: 1e-12 });
    assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), { atol: 1e-13 });
    assertClose(logGamma(0.1), Math.log(9.513507698668732), { atol: 1e-12 });
  });

  it('regularizedIncompleteBeta matches the beta CDF (values from scipy.stats.beta.cdf)', () => {
    assertClose(regularizedIncompleteBeta(0.3, 2.5, 7), 0.6412224629717214, { atol: 1e-12 });
    assertClose(regularizedIncompleteBeta(0.9, 0.5, 0.5), 0.7951672353008665, { atol: 1e-12 }); // arcsine law
    assertClose(regularizedIncompleteBeta(0.999, 50, 3), 0.9999786967828341, { atol: 1e-12 });
    assertClose(regularizedIncompleteBeta(0.25, 1, 1), 0.25, { atol: 1e-15 });
    assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
    assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  });

  it('the t CDF has the closed forms of df = 1 (Cauchy) and df = 2', () => {
    for (const t of [-7, -1.3, 0, 0.4, 2.5, 30]) {
      assertClose(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, { atol: 1e-13 });
      assertClose(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), { atol: 1e-13 });
    }
    assertClose(studentTCdf(-1.5, 3), 0.11529193262241147, { atol: 1e-12 });
  });

  it('t quantiles match the tables: t_{0.975,4}, t_{0.975,9}, t_{0.975,29}, and the normal limit', () => {
    assertClose(studentTQuantile(0.975, 4), 2.776445, { atol: 5e-7 });
    assertClose(studentTQuantile(0.975, 9), 2.262157, { atol: 5e-7 });
    assertClose(studentTQuantile(0.975, 29), 2.04523, { atol: 5e-7 });
    assertClose(studentTQuantile(0.975, 1), 12.706204736174694, { atol: 1e-9 });
    assertClose(studentTQuantile(0.975, 1000), 1.9623390808264083, { atol: 1e-9 });
    assertClose(studentTQuantile(0.9999, 2), 70.70007107496818, { atol: 1e-8 });
    assertClose(studentTQuantile(0.025, 4), -2.776445, { atol: 5e-7 });
    assert.equal(studentTQuantile(0.5, 7), 0);
  });
});

describe('summarize', () => {
  it('gives the mean, the n − 1 std and the t interval (checked with scipy.stats.t.interval)', () => {
    const s = summarize([1.2, 3.4, 2.2, 5.0]);
    assert.equal(s.n, 4);
    assertClose(s.mean, 2.95, { atol: 1e-12 });
    assertClose(s.std, 1.636052158907737, { atol: 1e-12 });
    assertClose(s.ci95, [0.34667592581631945, 5.553324074183681], { atol: 1e-9 });
  });

  it('of one value has NaN spread; of none, or of NaN, throws a ReglabError', () => {
    const one = summarize([0.5]);
    assert.ok(Number.isNaN(one.std) && Number.isNaN(one.ci95[0]));
    assert.throws(() => summarize([]), ReglabError);
    assert.throws(() => summarize([1, NaN]), ReglabError);
  });
});

describe('pairedComparison', () => {
  it('matches a hand-computed example (and scipy.stats.ttest_rel)', () => {
    // differences 0.02, 0.01, 0.03, 0.02, 0.01: mean 0.018, squared deviations sum to 2.8e-4,
    // std = √(2.8e-4 / 4) = 0.0083666, t = 0.018 / (0.0083666/√5) = 4.8107, df = 4.
    const r = pairedComparison([0.9, 0.85, 0.88, 0.92, 0.87], [0.88, 0.84, 0.85, 0.9, 0.86]);
    assertClose(r.meanDiff, 0.018, { atol: 1e-12 });
    assertClose(r.std, Math.sqrt(7e-5), { atol: 1e-12 });
    assertClose(r.t, 4.810702354423639, { atol: 1e-9 });
    assert.equal(r.df, 4);
    assertClose(r.pValue, 0.008580918721924785, { atol: 1e-10 });
    assertClose(r.ci95, [0.007611493663164329, 0.028388506336835703], { atol: 1e-9 });
  });

  it('p-values match the tables: t = 2, df = 10 → 0.07339; t = 3, df = 5 → 0.03010', () => {
    // Shift fixed differences so that their t statistic is exactly `t` (t = mean/(std/√n)).
    const withT = (t: number, n: number) => {
      const base = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) + 0.1 * i);
      const { mean, std } = summarize(base);
      const shift = (t * std) / Math.sqrt(n) - mean;
      return pairedComparison(
        base.map((v) => v + shift),
        new Array<number>(n).fill(0),
      );
    };
    const ten = withT(2, 11);
    assertClose(ten.t, 2, { atol: 1e-9 });
    assertClose(ten.pValue, 0.07338803477074037, { atol: 1e-10 }); // 0.07339 in tables
    const five = withT(3, 6);
    assertClose(five.t, 3, { atol: 1e-9 });
    // 0.030099247897 (scipy.stats.t.sf); the 0.03009 sometimes quoted is this value truncated.
    assertClose(five.pValue, 0.030099247897462586, { atol: 1e-10 });
  });

  it('handles zero spread and rejects unpaired samples', () => {
    assert.equal(pairedComparison([1, 2], [1, 2]).pValue, 1);
    assert.equal(pairedComparison([2, 3], [1, 2]).pValue, 0);
    assert.throws(() => pairedComparison([1, 2, 3], [1, 2]), ReglabError);
    assert.throws(() => pairedComparison([1], [2]), ReglabError);
  });
});

describe('formatMeanStd', () => {
  it('prints mean ± std with fixed decimals, and the mean alone for one run', () => {
    assert.equal(formatMeanStd(summarize([0.91, 0.93, 0.95]), 3), '0.930 ± 0.020');
    assert.equal(formatMeanStd(summarize([0.91]), 2), '0.91');
  });
});
