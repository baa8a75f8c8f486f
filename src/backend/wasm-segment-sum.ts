/**
 * `UnsortedSegmentSum` for wasm: a plain-JS loop over the wasm heap.
 *
 * TF.js 4.22 registers no `UnsortedSegmentSum` on wasm, and the gradient of `gather` (embedding
 * lookups, index-based sampling) is a segment sum, so `tf.grad` through `gather` failed. The op is
 * memory-bound and rare in reglab's training paths, so a simple loop is fast enough.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info, KernelArgs } from './wasm-util.js';
import { addSegmentRows } from './segment-sum.js';

/** out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids outside [0, numSegments) are dropped (as in TF). */
function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
  const numSegments = attrs?.numSegments as number;
  const wasm = backend as BackendWasm;
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = tf.util.sizeFromShape(rowShape);
  const xs = wasm.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = wasm.readSync(segmentIds.dataId) as Int32Array;
  const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
  // makeOutput mallocs without zeroing, and may grow the heap: take the view afterwards.
  const sums = wasm.typedArrayFromHeap(out);
  sums.fill(0);
  addSegmentRows(sums as Float32Array | Int32Array, xs, ids, numSegments, rowSize);
  return out;
}

/** Kernel config registering {@link unsortedSegmentSum} for the wasm backend. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
