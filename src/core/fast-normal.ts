/**
 * Fast seeded standard normals for PER's random directions. PER needs d·s fresh normals per
 * layer and step (65,536 for d = s = 256): with `tf.randomNormal` (seedrandom's Alea +
 * Box–Muller in JavaScript, on every backend) drawing them cost about as much as the b×d·d×s
 * product itself. Here: xoshiro128** (Blackman & Vigna 2018) for 32-bit words and the
 * ziggurat method of Marsaglia & Tsang (2000, 128 layers) for the normals — one multiply and
 * one compare for ~99% of draws, the exact tail and wedge rejection for the rest. The generator
 * is seeded by one draw of the run's `Random` (`Random.fastNormalTensor`,
 * `Random.unitDirections`: the one generator family), so a run stays reproducible from its seed.
 *
 * The native backend installs a C++ twin of both fills ({@link useNormalKernels},
 * native/src/normal.cc: the same stream from the same tables, ~10× faster than this loop), which
 * is what PER's per-step directions cost on that backend otherwise.
 */

const LAYERS = 128;
/** Start of the tail, r, and the common area v of the 128 ziggurat layers (Marsaglia & Tsang). */
const TAIL_START = 3.442619855899;
const LAYER_AREA = 9.91256303526217e-3;
const TWO_POW_31 = 2147483648;
const TWO_POW_M32 = 2 ** -32;

/** The ziggurat tables: k (integer acceptance bounds), w (scales), f (densities at the edges). */
const tables = (() => {
  const k = new Float64Array(LAYERS);
  const w = new Float64Array(LAYERS);
  const f = new Float64Array(LAYERS);
  let edge = TAIL_START;
  let previous = edge;
  const q = LAYER_AREA / Math.exp(-0.5 * edge * edge);
  k[0] = (edge / q) * TWO_POW_31;
  k[1] = 0;
  w[0] = q / TWO_POW_31;
  w[LAYERS - 1] = edge / TWO_POW_31;
  f[0] = 1;
  f[LAYERS - 1] = Math.exp(-0.5 * edge * edge);
  for (let i = LAYERS - 2; i >= 1; i--) {
    edge = Math.sqrt(-2 * Math.log(LAYER_AREA / edge + Math.exp(-0.5 * edge * edge)));
    k[i + 1] = (edge / previous) * TWO_POW_31;
    previous = edge;
    f[i] = Math.exp(-0.5 * edge * edge);
    w[i] = edge / TWO_POW_31;
  }
  return { k, w, f };
})();

/** The ziggurat tables (128 layers each), for the native twin of {@link fillNormal}. */
export const zigguratTables: Readonly<{ k: Float64Array; w: Float64Array; f: Float64Array }> =
  tables;

/**
 * Native implementations of {@link fillNormal} and {@link fillUnitColumns}: the same streams
 * from the same tables (native/src/normal.cc).
 */
export interface NormalKernels {
  fillNormal(
    out: Float32Array,
    seed: number,
    k: Float64Array,
    w: Float64Array,
    f: Float64Array,
  ): void;
  unitColumns(
    out: Float32Array,
    rows: number,
    cols: number,
    seed: number,
    k: Float64Array,
    w: Float64Array,
    f: Float64Array,
  ): void;
}

let kernels: NormalKernels | undefined;

/** Installs (or, with undefined, removes) the native fills; returns the ones replaced. */
export function useNormalKernels(next: NormalKernels | undefined): NormalKernels | undefined {
  const previous = kernels;
  kernels = next;
  return previous;
}

/** Fills `out` with N(0, 1) draws from a xoshiro128** stream seeded by `seed`. */
export function fillNormal(out: Float32Array, seed: number): void {
  if (kernels) kernels.fillNormal(out, seed, tables.k, tables.w, tables.f);
  else fillNormalScript(out, seed);
}

/**
 * Fills `out` [rows, cols] (row-major) with {@link fillNormal}'s draws and scales every column
 * to unit length: the columns are directions uniform on S^{rows−1} (θ = v/‖v‖, v ~ N(0, I)).
 * The norms are summed in double, row by row.
 */
export function fillUnitColumns(out: Float32Array, rows: number, cols: number, seed: number): void {
  if (kernels) {
    kernels.unitColumns(out, rows, cols, seed, tables.k, tables.w, tables.f);
    return;
  }
  fillNormalScript(out, seed);
  const squaredNorms = new Float64Array(cols);
  for (let row = 0; row < rows; row++)
    for (let k = 0; k < cols; k++) squaredNorms[k] += out[row * cols + k] ** 2;
  const inverseNorms = squaredNorms.map((n) => 1 / Math.sqrt(n));
  for (let row = 0; row < rows; row++)
    for (let k = 0; k < cols; k++) out[row * cols + k] *= inverseNorms[k];
}

/** {@link fillNormal} in JavaScript (the reference the native twin is tested against). */
export function fillNormalScript(out: Float32Array, seed: number): void {
  // splitmix32 expands the seed into the four state words (an all-zero state is impossible).
  let x = seed | 0;
  const mix = () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix() | 1;
  /** Next signed 32-bit word of xoshiro128**. */
  const next = () => {
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  };
  const uniform = () => ((next() >>> 0) + 0.5) * TWO_POW_M32; // in (0, 1)
  const { k, w, f } = tables;
  for (let i = 0; i < out.length; i++) {
    let word = next();
    let layer = word & (LAYERS - 1);
    if (Math.abs(word) < k[layer]) {
      out[i] = word * w[layer];
      continue;
    }
    // Slow path (~1%): the base layer's tail, or the wedge outside the inner rectangle.
    for (;;) {
      const candidate = word * w[layer];
      if (layer === 0) {
        let tail: number;
        let y: number;
        do {
          tail = -Math.log(uniform()) / TAIL_START;
          y = -Math.log(uniform());
        } while (y + y < tail * tail);
        out[i] = word > 0 ? TAIL_START + tail : -TAIL_START - tail;
        break;
      }
      if (
        f[layer] + uniform() * (f[layer - 1] - f[layer]) <
        Math.exp(-0.5 * candidate * candidate)
      ) {
        out[i] = candidate;
        break;
      }
      word = next();
      layer = word & (LAYERS - 1);
      if (Math.abs(word) < k[layer]) {
        out[i] = word * w[layer];
        break;
      }
    }
  }
}
