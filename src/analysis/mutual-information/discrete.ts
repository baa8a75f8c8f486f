/**
 * Plug-in (maximum-likelihood) entropies of discrete variables, the common ground of the
 * binning estimator (Shwartz-Ziv & Tishby 2017) and of the I(X;Y) = H(Y) reference line of an
 * information plane.
 */
import { check } from '../../core/errors.js';

/** Units of an information value: bits (log base 2, as information-plane plots use) or nats. */
export type InformationUnits = 'bits' | 'nats';

/** Converts a value in nats to `units`. */
export function fromNats(nats: number, units: InformationUnits = 'bits'): number {
  return units === 'bits' ? nats / Math.LN2 : nats;
}

/** Plug-in entropy, in nats, of a distribution given by its counts: log n − (1/n) Σ c log c. */
export function entropyOfCounts(counts: Iterable<number>): number {
  let total = 0;
  let sumClogC = 0;
  for (const c of counts) {
    total += c;
    if (c > 0) sumClogC += c * Math.log(c);
  }
  return total === 0 ? 0 : Math.log(total) - sumClogC / total;
}

/** Plug-in entropy, in nats, of a sequence of discrete symbols (any numbers used as ids). */
export function entropyOfSymbols(symbols: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < symbols.length; i++)
    counts.set(symbols[i], (counts.get(symbols[i]) ?? 0) + 1);
  return entropyOfCounts(counts.values());
}

/**
 * Plug-in mutual information, in nats, between two discrete sequences of the same length:
 * I(A;B) = H(A) + H(B) − H(A,B). Its expected positive bias for independent A and B is
 * (|A|−1)(|B|−1)/(2n) nats (the G-test's χ² mean), the reason a binning estimate of I(T;Y)
 * never reaches 0 on a finite batch.
 */
export function discreteMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(
    a.length === b.length,
    `the two sequences have ${a.length} and ${b.length} entries`,
    'pass one symbol per sample in each',
  );
  const idsOfA = denseIds(a);
  const idsOfB = denseIds(b);
  let width = 0;
  for (const id of idsOfB) width = Math.max(width, id + 1);
  const joint = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) joint[i] = idsOfA[i] * width + idsOfB[i];
  return entropyOfSymbols(a) + entropyOfSymbols(b) - entropyOfSymbols(joint);
}

/** Renumbers symbols 0, 1, 2, … in order of first appearance. */
function denseIds(symbols: ArrayLike<number>): Int32Array {
  const ids = new Map<number, number>();
  const out = new Int32Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    let id = ids.get(symbols[i]);
    if (id === undefined) ids.set(symbols[i], (id = ids.size));
    out[i] = id;
  }
  return out;
}

/** Checks that `labels` are n non-negative integers and returns them as an Int32Array. */
export function checkLabels(labels: ArrayLike<number>, n?: number): Int32Array {
  check(
    labels.length > 0,
    'the labels are empty',
    'pass the integer class of every sample in the batch',
  );
  if (n !== undefined) {
    check(
      labels.length === n,
      `${labels.length} labels for ${n} samples`,
      'pass one label per row of the activations',
    );
  }
  const out = Int32Array.from(labels);
  for (let i = 0; i < out.length; i++) {
    check(
      Number.isInteger(labels[i]) && labels[i] >= 0,
      `label ${i} is ${labels[i]}, not a class index`,
      'labels must be integers in [0, numClasses)',
    );
  }
  return out;
}

/**
 * Entropy H(Y) of the labels of a batch: the reference line I(X;Y) = H(Y) of an information
 * plane (for a deterministic labelling of distinct inputs), the most any layer's I(T;Y) can reach.
 */
export function entropyOfLabels(
  labels: ArrayLike<number>,
  units: InformationUnits = 'bits',
): number {
  return fromNats(entropyOfSymbols(checkLabels(labels)), units);
}
