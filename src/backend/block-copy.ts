/**
 * Copies between row-major arrays one contiguous run at a time (`TypedArray.set`, a memmove)
 * instead of one element at a time: the native backend's Slice, PadV2 and Tile
 * (native-kernels.ts). tfjs-backend-cpu's kernels for these go through a `TensorBuffer` and
 * compute every element's multi-index (`indexToLoc`/`locToIndex`); in a ResNet-20 training step
 * that was 75% of the time (bench/RESULTS.md, run I).
 *
 * A run is the innermost axis of the box together with every axis inside it that the box, the
 * source and the destination all span in full (those are contiguous in both arrays).
 */

type Floats = Float32Array;

/** Row-major strides of `shape` (the last is 1). */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; s *= shape[i], i--) out[i] = s;
  return out;
}

const zeros = (rank: number) => new Array<number>(rank).fill(0);

const offset = (at: readonly number[], by: readonly number[]) =>
  at.reduce((sum, a, i) => sum + a * by[i], 0);

/**
 * dst[dstBegin + i] = src[srcBegin + i] for every multi-index i in the box `[0, box)`, where
 * `src` has shape `srcShape` and `dst` has shape `dstShape` (all of the same rank; the box lies
 * inside both).
 */
export function copyBox(
  src: Floats,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: Floats,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  box: readonly number[],
): void {
  const rank = box.length;
  if (box.some((d) => d === 0)) return;
  // Axes from `inner` on form one contiguous run in both arrays.
  let inner = Math.max(rank - 1, 0);
  while (inner > 0 && box[inner] === srcShape[inner] && box[inner] === dstShape[inner]) inner--;
  let run = 1;
  for (let i = inner; i < rank; i++) run *= box[i];
  const srcStrides = strides(srcShape);
  const dstStrides = strides(dstShape);
  let from = offset(srcBegin, srcStrides);
  let to = offset(dstBegin, dstStrides);
  // An odometer over the box's axes outside the run, moving both offsets with it.
  const at = zeros(inner);
  for (;;) {
    dst.set(src.subarray(from, from + run), to);
    let d = inner - 1;
    for (; d >= 0; d--) {
      from += srcStrides[d];
      to += dstStrides[d];
      if (++at[d] < box[d]) break;
      from -= box[d] * srcStrides[d];
      to -= box[d] * dstStrides[d];
      at[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * tile(x, reps) into `out` (shape x.shape[i]·reps[i]): x is copied into the corner, then the
 * axes are repeated from the innermost out, each by doubling — the k copies already made along
 * axis d are copied once more right after themselves (log₂ reps[d] box copies, each made of the
 * longest runs the layout allows: once the axes after d are tiled, they are whole in `out`).
 */
export function tileInto(
  x: Floats,
  shape: readonly number[],
  reps: readonly number[],
  out: Floats,
): void {
  const outShape = shape.map((d, i) => d * reps[i]);
  if (outShape.some((d) => d === 0)) return;
  const corner = zeros(shape.length);
  copyBox(x, shape, corner, out, outShape, corner, shape);
  for (let d = shape.length - 1; d >= 0; d--) {
    for (let made = 1; made < reps[d]; made *= 2) {
      // The box [axes before d: x's extent, axis d: the copies made, axes after d: whole].
      const box = outShape.map((n, i) => (i < d ? shape[i] : i > d ? n : 0));
      box[d] = Math.min(made, reps[d] - made) * shape[d];
      const to = corner.map((_, i) => (i === d ? made * shape[d] : 0));
      copyBox(out, outShape, corner, out, outShape, to, box);
    }
  }
}
