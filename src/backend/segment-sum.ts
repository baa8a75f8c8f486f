/**
 * The segment sum `gather`'s gradient is made of (an embedding's backward pass), as one loop
 * over the rows — shared by the wasm and native kernels. tfjs-backend-cpu's own kernel builds
 * one mask per segment (O(segments · rows · width) work and tensors): for a 10,000-word
 * vocabulary that is 10,000 masked sums of the whole gradient per step.
 */

/**
 * sums[s, …] += x[i, …] for every row i with ids[i] = s; ids outside [0, numSegments) are dropped
 * (as in TF). `sums` must hold numSegments · rowSize zeros.
 */
export function addSegmentRows(
  sums: Float32Array | Int32Array,
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  numSegments: number,
  rowSize: number,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    for (let k = 0; k < rowSize; k++) sums[s * rowSize + k] += x[i * rowSize + k];
  }
}
