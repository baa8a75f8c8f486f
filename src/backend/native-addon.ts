/**
 * Loads reglab's N-API addon (`native/`, compiled by `npm install` — see scripts/build-native.mjs)
 * and says why when it cannot.
 *
 * The addon is optional: when the compiler or the headers were missing at install time, the
 * build script recorded why in `native/build-status.json`, and {@link nativeAddonProblem}
 * returns that reason so `selectBackend` can say it once instead of failing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NormalKernels } from '../core/fast-normal.js';

/** How the addon was built (`info()`). */
export interface NativeAddonInfo {
  /** Whether OpenBLAS was found and linked at build time. */
  openblas: boolean;
  /** The GEMM in use now: OpenBLAS or reglab's built-in blocked GEMM. */
  gemm: 'openblas' | 'builtin';
  /** Floats per SIMD register the built-in GEMM was compiled for (16 AVX-512, 8 AVX2, 4 SSE/NEON). */
  vectorWidth: number;
  openblasConfig?: string;
  openblasThreads?: number;
}

/** The addon's functions (native/src/addon.cc); shapes are checked by the callers. */
export interface NativeAddon {
  info(): NativeAddonInfo;
  setGemm(name: 'openblas' | 'builtin'): boolean;
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aBatchStride: number,
    bBatchStride: number,
    bias: Float32Array | null,
    activation: number,
    alpha: number,
  ): void;
  conv2d(
    geometry: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    y: Float32Array,
    bias: Float32Array | null,
    activation: number,
    alpha: number,
  ): void;
  conv2dBackpropInput(
    geometry: Int32Array,
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
  ): void;
  conv2dBackpropFilter(
    geometry: Int32Array,
    x: Float32Array,
    dy: Float32Array,
    dw: Float32Array,
  ): void;
  maxPool(geometry: Int32Array, x: Float32Array, y: Float32Array): void;
  /** Absent from addons built before it. */
  avgPool?(geometry: Int32Array, x: Float32Array, y: Float32Array): void;
  maxPoolGrad(geometry: Int32Array, dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reduce(
    op: number,
    x: Float32Array,
    out: Float32Array,
    outer: number,
    size: number,
    inner: number,
  ): void;
  transpose(x: Float32Array, out: Float32Array, shape: Int32Array, perm: Int32Array): void;
  softmax(x: Float32Array, out: Float32Array, cols: number): void;
  /** PER's f(x) and erf(x/√2) (fused-kernels.ts; absent from addons built before it). */
  projectedError?(x: Float32Array, value: Float32Array, erf: Float32Array): void;
  /** core/fast-normal.ts's fillNormal stream (absent from addons built before it). */
  fillNormal?: NormalKernels['fillNormal'];
  /** core/fast-normal.ts's fillUnitColumns (absent from addons built before it). */
  unitColumns?: NormalKernels['unitColumns'];
}

/** native/ of this package, or REGLAB_NATIVE_DIR (where scripts/build-native.mjs built it). */
function nativeDir(): string {
  return process.env.REGLAB_NATIVE_DIR ?? fileURLToPath(new URL('../../native', import.meta.url));
}

let loaded: { addon: NativeAddon | null; problem?: string } | undefined;

/** Why the build script did not produce the addon, from its status file. */
function buildProblem(): string {
  try {
    const status = JSON.parse(
      readFileSync(path.join(nativeDir(), 'build-status.json'), 'utf8'),
    ) as {
      ok?: boolean;
      reason?: string;
    };
    if (status.ok === false && status.reason) return status.reason;
  } catch {
    // no status file: the build script never ran (e.g. npm install --ignore-scripts)
  }
  return 'the native addon is not built (npm install --ignore-scripts, or the build was skipped)';
}

/**
 * The addon, loaded once; null when it is not built, does not load, or `REGLAB_NATIVE=off`
 * ({@link nativeAddonProblem} says why). `REGLAB_NATIVE_GEMM=builtin` selects the built-in GEMM
 * even where OpenBLAS is linked.
 */
export function loadNativeAddon(): NativeAddon | null {
  if (loaded) return loaded.addon;
  if (process.env.REGLAB_NATIVE === 'off') {
    loaded = { addon: null, problem: 'turned off (REGLAB_NATIVE=off)' };
    return null;
  }
  const ADDON = path.join(nativeDir(), 'build', 'Release', 'reglab_native.node');
  if (!existsSync(ADDON)) {
    loaded = { addon: null, problem: buildProblem() };
    return null;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
    const gemm = process.env.REGLAB_NATIVE_GEMM;
    if (gemm === 'builtin' || gemm === 'openblas') addon.setGemm(gemm);
    loaded = { addon };
  } catch (err) {
    loaded = {
      addon: null,
      problem: `the native addon failed to load (${(err as Error).message.split('\n')[0]})`,
    };
  }
  return loaded.addon;
}

/** Why {@link loadNativeAddon} returns null (undefined when the addon loads). */
export function nativeAddonProblem(): string | undefined {
  loadNativeAddon();
  return loaded?.problem;
}

/** The hint shown with {@link nativeAddonProblem}: how to build the addon. */
export const NATIVE_BUILD_HINT =
  'install g++ and make (and libopenblas-dev for OpenBLAS), then run npm run build:native; see docs/backends.md';
