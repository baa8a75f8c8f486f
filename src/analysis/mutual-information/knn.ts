/**
 * k-nearest-neighbour estimators of mutual information, which need no bins and no noise scale:
 *
 * - **KSG** (Kraskov, Stögbauer & Grassberger 2004, "Estimating mutual information", Phys. Rev.
 *   E 69:066138, estimator 1, eq. 8) for I(X;T) between two continuous variables:
 *
 *     Î(X;T) = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_t + 1)⟩,
 *
 *   where ε_i is the distance from point i to its k-th nearest neighbour in the joint space under
 *   the max-norm ‖(x, t)‖ = max(‖x‖, ‖t‖), and n_x(i), n_t(i) count the points j ≠ i strictly
 *   closer than ε_i in each marginal space. KSG allow any norm in the marginal spaces (their
 *   sec. II.A); we use the Euclidean one, so distances are matMuls (./distances.ts).
 *
 * - **Mixed discrete–continuous** (Ross 2014, "Mutual information between discrete and continuous
 *   data sets", PLoS ONE 9:e87357, eq. 2) for I(T;Y) with class labels Y:
 *
 *     Î(T;Y) = ψ(N) − ⟨ψ(N_y)⟩ + ψ(k) − ⟨ψ(m)⟩,
 *
 *   where d_i is the distance from i to its k-th nearest neighbour among the N_{y_i} points of its
 *   own class, and m_i counts the points of all classes j ≠ i within d_i (the k-th neighbour
 *   included, so m_i ≥ k). As in scikit-learn's `mutual_info_classif`, a class with one sample is
 *   left out (N is then the number of points kept), and a class with N_y ≤ k uses k = N_y − 1.
 *   Ties: when d_i = 0 (i repeats exactly, as a saturated softmax does), k becomes the number of
 *   same-class points at distance 0 (Gao, Kannan, Oh & Viswanath 2017, "Estimating mutual
 *   information for discrete-continuous mixtures", NeurIPS, the k̃_i of their estimator); on a
 *   purely discrete T the estimate is then the plug-in I(T;Y) up to O(1/n) (ψ for log).
 *
 * Both are bounded: Î(X;T) ≤ ψ(N) − ψ(k) (every joint neighbour is a neighbour in both
 * marginals) and Î(T;Y) ≤ ψ(N) − ⟨ψ(N_y)⟩ ≈ H(Y) (every neighbour within d_i is of class y_i).
 * Cost: O(N²·(d_x + d_t)) for the distances, O(N²·k) for the selection, in row blocks.
 */
import { check } from '../../core/errors.js';
import type { SquaredDistances } from './distances.js';

/** Neighbours of both kNN estimators: KSG's and scikit-learn's default. */
export const DEFAULT_NEIGHBOURS = 3;

/** ψ(j) for j = 0..m (entry 0 is NaN): ψ(1) = −γ, ψ(j + 1) = ψ(j) + 1/j. */
export function digammaTable(m: number): Float64Array {
  const table = new Float64Array(m + 1);
  table[0] = Number.NaN;
  if (m >= 1) table[1] = -0.5772156649015329; // −γ, the Euler–Mascheroni constant
  for (let j = 1; j < m; j++) table[j + 1] = table[j] + 1 / j;
  return table;
}

function checkNeighbours(k: number, n: number): void {
  check(
    Number.isInteger(k) && k >= 1 && k < n,
    `k = ${k} neighbours for ${n} samples`,
    `use an integer k in [1, ${n - 1}] (3 is KSG's and scikit-learn's choice)`,
  );
}

/**
 * Inserts `value` into the ascending list `best` of the k smallest values seen so far (length k,
 * filled with +∞ at the start). O(k) per insertion, and only values below the current k-th move.
 */
function insertSmallest(best: Float64Array, value: number): void {
  const k = best.length;
  if (!(value < best[k - 1])) return;
  let p = k - 1;
  while (p > 0 && best[p - 1] > value) {
    best[p] = best[p - 1];
    p--;
  }
  best[p] = value;
}

/** Runs `visit(i, row)` for every row i of the distance matrix, block by block. */
function forEachRow(
  distances: readonly SquaredDistances[],
  visit: (i: number, rows: Float32Array[], offset: number) => void,
): void {
  const { n, blockRows } = distances[0];
  for (const other of distances) {
    check(other.n === n, `${other.n} and ${n} samples`, 'pass one row per sample in each variable');
  }
  for (let start = 0; start < n; start += blockRows) {
    const size = Math.min(blockRows, n - start);
    const blocks = distances.map((d) => d.block(start, size));
    for (let r = 0; r < size; r++) visit(start + r, blocks, r * n);
  }
}

/** KSG's per-sample quantities (distances squared, as they are computed). */
export interface KsgCounts {
  /** ε_i²: squared max-norm distance to the k-th joint neighbour. */
  readonly epsilon: Float64Array;
  /** n_x(i) = #{j ≠ i : ‖x_i − x_j‖ < ε_i}. */
  readonly nx: Int32Array;
  /** n_t(i) = #{j ≠ i : ‖t_i − t_j‖ < ε_i}. */
  readonly nt: Int32Array;
}

/** The neighbour counts of KSG estimator 1 (see the file comment). */
export function ksgCounts(x: SquaredDistances, t: SquaredDistances, k: number): KsgCounts {
  const n = x.n;
  checkNeighbours(k, n);
  const epsilon = new Float64Array(n);
  const nx = new Int32Array(n);
  const nt = new Int32Array(n);
  const best = new Float64Array(k);
  forEachRow([x, t], (i, [dx, dt], offset) => {
    best.fill(Infinity);
    for (let j = 0; j < n; j++)
      if (j !== i) insertSmallest(best, Math.max(dx[offset + j], dt[offset + j]));
    const eps = best[k - 1];
    let cx = 0;
    let ct = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      if (dx[offset + j] < eps) cx++;
      if (dt[offset + j] < eps) ct++;
    }
    epsilon[i] = eps;
    nx[i] = cx;
    nt[i] = ct;
  });
  return { epsilon, nx, nt };
}

/** KSG estimator 1 of I(X;T), in nats, from the squared distances of X and of T. */
export function ksgMutualInformation(
  x: SquaredDistances,
  t: SquaredDistances,
  k = DEFAULT_NEIGHBOURS,
): number {
  const { nx, nt } = ksgCounts(x, t, k);
  const n = x.n;
  const psi = digammaTable(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += psi[nx[i] + 1] + psi[nt[i] + 1];
  return psi[k] + psi[n] - sum / n;
}

/** Ross's per-sample quantities; samples of a one-sample class have `used` 0. */
export interface MixedCounts {
  /** 1 where the sample's class has ≥ 2 samples (the sample enters the estimate). */
  readonly used: Uint8Array;
  /** N_{y_i}: samples of i's class. */
  readonly classSize: Int32Array;
  /**
   * k_i = min(k, N_{y_i} − 1), the neighbour rank used for i; where d_i = 0, the number of
   * same-class points at distance 0 (Gao et al.'s k̃_i).
   */
  readonly neighbours: Int32Array;
  /** d_i²: squared distance to the k_i-th neighbour of i's own class. */
  readonly radius: Float64Array;
  /** m_i = #{j ≠ i kept : ‖t_i − t_j‖ ≤ d_i}, all classes. */
  readonly m: Int32Array;
}

/** The neighbour counts of Ross's mixed estimator (see the file comment). */
export function mixedCounts(t: SquaredDistances, labels: Int32Array, k: number): MixedCounts {
  const n = t.n;
  check(
    labels.length === n,
    `${labels.length} labels for ${n} samples`,
    'pass one label per sample',
  );
  checkNeighbours(k, n);
  const sizes = new Map<number, number>();
  for (const y of labels) sizes.set(y, (sizes.get(y) ?? 0) + 1);
  const classSize = Int32Array.from(labels, (y) => sizes.get(y) as number);
  const used = Uint8Array.from(classSize, (size) => (size >= 2 ? 1 : 0));
  const neighbours = Int32Array.from(classSize, (size) => Math.min(k, size - 1));
  const radius = new Float64Array(n);
  const m = new Int32Array(n);
  const best = new Float64Array(k);
  forEachRow([t], (i, [dt], offset) => {
    if (!used[i]) return;
    const ki = neighbours[i];
    const ranked = best.subarray(0, ki);
    ranked.fill(Infinity);
    for (let j = 0; j < n; j++)
      if (j !== i && labels[j] === labels[i]) insertSmallest(ranked, dt[offset + j]);
    const r = ranked[ki - 1];
    let count = 0;
    let sameClass = 0;
    for (let j = 0; j < n; j++) {
      if (j === i || !used[j] || dt[offset + j] > r) continue;
      count++;
      if (labels[j] === labels[i]) sameClass++;
    }
    // Ties at distance 0 (a saturated softmax repeats exact one-hot rows): i sits on an atom of
    // T, and its own class's share of the atom is sameClass / count — so k becomes the number of
    // same-class points on the atom, as Gao et al. 2017 do for discrete–continuous mixtures.
    if (r === 0) neighbours[i] = sameClass;
    radius[i] = r;
    m[i] = count;
  });
  return { used, classSize, neighbours, radius, m };
}

/**
 * Ross's mixed estimator of I(T;Y), in nats, from the squared distances of T and the labels.
 * 0 when fewer than two samples share a class with another (nothing to estimate from).
 */
export function mixedMutualInformation(
  t: SquaredDistances,
  labels: Int32Array,
  k = DEFAULT_NEIGHBOURS,
): number {
  const { used, classSize, neighbours, m } = mixedCounts(t, labels, k);
  let kept = 0;
  let sum = 0;
  const psi = digammaTable(t.n);
  for (let i = 0; i < t.n; i++) {
    if (!used[i]) continue;
    kept++;
    sum += psi[neighbours[i]] - psi[classSize[i]] - psi[m[i]];
  }
  return kept === 0 ? 0 : psi[kept] + sum / kept;
}
