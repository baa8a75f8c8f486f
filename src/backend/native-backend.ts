/**
 * The `native` TF.js backend: tfjs-backend-cpu's `MathBackendCPU` — tensors are plain typed
 * arrays in the JavaScript heap — registered under its own name, with every cpu kernel, and
 * with the hot ones (native-kernels.ts) running in reglab's C++ addon. The addon reads and
 * writes those typed arrays in place, so no tensor is ever copied to reach native code.
 *
 * Why not the wasm heap: the wasm kernels bind their wasm functions to module-level variables
 * when a backend initialises, so a second wasm-based backend would rebind (and break) the
 * `wasm` one; and memory growth detaches the heap's ArrayBuffer under any view native code
 * holds. The cpu backend has neither problem and already owns every kernel TF.js defines.
 *
 * Two storage changes make the kernels' speed show in a training step:
 *
 * - **Buffer reuse.** A conv net step allocates ~100 MB of fresh outputs; a new Float32Array
 *   costs ~0.1 ms per MB (page faults and zeroing) plus garbage collection, as much as the
 *   arithmetic. Outputs of native kernels come from a pool (`BufferPool`) and go back to it
 *   when their tensor is disposed — only when no other tensor can see them: an array that a
 *   second tensor registered, even as a view (cpu `Slice` returns views), is never reused, and
 *   `readSync`/`dataSync` return copies of pooled arrays.
 * - **Deferred products.** tfjs-core's fused matMul and conv2d gradients compute the gradient
 *   of every input, also of the input batch, which no optimizer needs (a third of an MLP's
 *   backward matmul work, the whole first-layer input gradient of a conv net). Kernels may
 *   return a deferred output (`defer`): it is computed when first read and skipped when it is
 *   disposed unread. Its inputs are kept alive (backend reference counts) until then.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ReglabError } from '../core/errors.js';
import { useNormalKernels } from '../core/fast-normal.js';
import {
  loadNativeAddon,
  NATIVE_BUILD_HINT,
  nativeAddonProblem,
  type NativeAddon,
} from './native-addon.js';
import { NATIVE_KERNELS, nativeKernelCounts, type NativeStorage } from './native-kernels.js';

/** The backend's name in TF.js (`tf.setBackend('native')`). */
export const NATIVE_BACKEND = 'native';

type DataId = object;
type Entry = ReturnType<MathBackendCPU['data']['get']>;

/** Arrays smaller than this (floats) are allocated fresh: cheap, and most are read back. */
const POOL_MIN_LENGTH = 4096;
/** Most bytes the pool keeps unused. */
const POOL_MAX_BYTES = 512 * 1024 * 1024;

/**
 * Float32Arrays owned by the native kernels, reused once their tensor is gone. State per
 * buffer: `fresh` (handed to a kernel), `registered` (one tensor uses it), `shared` (a second
 * registration or a view: never reused), `free` (in the pool).
 */
class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly state = new WeakMap<
    ArrayBufferLike,
    'fresh' | 'registered' | 'shared' | 'free'
  >();
  private bytes = 0;

  take(length: number): Float32Array {
    if (length < POOL_MIN_LENGTH) return new Float32Array(length);
    const reused = this.free.get(length)?.pop();
    const array = reused ?? new Float32Array(length);
    if (reused) this.bytes -= array.byteLength;
    this.state.set(array.buffer, 'fresh');
    return array;
  }

  /** Records that a tensor now stores `values` (or a view of it). */
  noteUse(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const state = this.state.get(values.buffer);
    if (state === undefined) return;
    const whole = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
    this.state.set(values.buffer, state === 'fresh' && whole ? 'registered' : 'shared');
  }

  owns(values: unknown): boolean {
    return values instanceof Float32Array && this.state.has(values.buffer);
  }

  /** Takes back the array of a disposed tensor, if nothing else can see it. */
  give(values: unknown): void {
    if (!(values instanceof Float32Array) || this.state.get(values.buffer) !== 'registered') return;
    if (this.bytes + values.byteLength > POOL_MAX_BYTES) return;
    this.state.set(values.buffer, 'free');
    const list = this.free.get(values.length) ?? [];
    list.push(values);
    this.free.set(values.length, list);
    this.bytes += values.byteLength;
  }
}

/** A deferred output: its length, the inputs it holds and how to compute it. */
interface Deferred {
  kernel: string;
  length: number;
  inputs: DataId[];
  compute: (out: Float32Array) => void;
}

/** MathBackendCPU with pooled outputs and deferred products (see the file comment). */
class NativeBackend extends MathBackendCPU implements NativeStorage {
  private readonly pool = new BufferPool();
  private readonly deferred = new WeakMap<DataId, Deferred>();
  /** The storage lookup without materialising deferred data. */
  private readonly peek: (dataId: DataId) => Entry;

  constructor() {
    super();
    // No "install tfjs-node" console hint: reglab's log line says what runs.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    const storage = this.data as unknown as { get(dataId: DataId): Entry };
    const peek = storage.get.bind(storage);
    this.peek = peek;
    // Every kernel reads tensors through data.get: computing deferred data there makes it
    // invisible to them.
    storage.get = (dataId) => {
      const entry = peek(dataId);
      if (entry.values === undefined) this.materialize(dataId, entry);
      return entry;
    };
  }

  allocate(length: number): Float32Array {
    return this.pool.take(length);
  }

  defer(
    kernel: string,
    shape: number[],
    inputs: tf.TensorInfo[],
    compute: (out: Float32Array) => void,
  ): tf.TensorInfo {
    const ids = inputs.map((t) => t.dataId);
    for (const id of ids) this.incRef(id);
    const dataId = this.write(undefined as unknown as Float32Array, shape, 'float32');
    this.deferred.set(dataId, {
      kernel,
      length: tf.util.sizeFromShape(shape),
      inputs: ids,
      compute,
    });
    return { dataId, shape, dtype: 'float32' };
  }

  private materialize(dataId: DataId, entry: Entry): void {
    const pending = this.deferred.get(dataId);
    if (!pending) return;
    this.deferred.delete(dataId);
    const out = this.pool.take(pending.length);
    const start = performance.now();
    pending.compute(out);
    const ms = performance.now() - start;
    const { deferredMs } = nativeKernelCounts;
    deferredMs.byKernel.set(pending.kernel, (deferredMs.byKernel.get(pending.kernel) ?? 0) + ms);
    deferredMs.total += ms;
    nativeKernelCounts.deferred.computed++;
    entry.values = out;
    this.pool.noteUse(out);
    for (const id of pending.inputs) this.disposeData(id);
  }

  override write(
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
  ): DataId {
    this.pool.noteUse(values);
    return super.write(values, shape, dtype);
  }

  override move(
    dataId: DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    this.pool.noteUse(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    // Callers keep what dataSync returns; a pooled array would change under them.
    return this.pool.owns(values) ? (values as Float32Array).slice() : values;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.peek(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.peek(dataId).refCount++;
  }

  override decRef(dataId: DataId): void {
    if (this.data.has(dataId)) this.peek(dataId).refCount--;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const entry = this.peek(dataId);
    entry.refCount--;
    if (!force && entry.refCount > 0) return false;
    if (entry.complexTensorInfos) {
      this.disposeData(entry.complexTensorInfos.real.dataId, true);
      this.disposeData(entry.complexTensorInfos.imag.dataId, true);
    }
    this.data.delete(dataId);
    const pending = this.deferred.get(dataId);
    if (pending) {
      // Never read: skip the work, release what it held.
      this.deferred.delete(dataId);
      nativeKernelCounts.deferred.skipped++;
      for (const id of pending.inputs) this.disposeData(id);
    } else {
      this.pool.give(entry.values);
    }
    return true;
  }
}

/**
 * Registers the `native` backend and its kernels (idempotent) and returns the addon.
 *
 * @throws ReglabError saying why when the addon is not built or does not load.
 */
export function registerNativeBackend(): NativeAddon {
  const addon = loadNativeAddon();
  if (!addon)
    throw new ReglabError(`native kernels unavailable: ${nativeAddonProblem()}`, NATIVE_BUILD_HINT);
  if (tf.findBackendFactory(NATIVE_BACKEND)) return addon;
  // Every cpu kernel first (the same functions: they only need a MathBackendCPU), then the
  // native ones in place of the hot cpu kernels.
  for (const config of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  for (const make of NATIVE_KERNELS) {
    const config = make(addon);
    if (!config) continue;
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND))
      tf.unregisterKernel(config.kernelName, NATIVE_BACKEND);
    tf.registerKernel(config);
  }
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 1);
  // The seeded normals of PER's directions and the monitors, in C++ (the same streams); an
  // addon built before these existed keeps the JavaScript loops.
  if (addon.fillNormal && addon.unitColumns)
    useNormalKernels({ fillNormal: addon.fillNormal, unitColumns: addon.unitColumns });
  return addon;
}

/** Chooses the GEMM the native kernels use (`REGLAB_NATIVE_GEMM` sets it at load). */
export function setNativeGemm(name: 'openblas' | 'builtin'): void {
  const addon = registerNativeBackend();
  if (!addon.setGemm(name)) {
    throw new ReglabError(
      `the native addon was built without OpenBLAS, so it cannot use it`,
      'install libopenblas-dev and run npm run build:native',
    );
  }
}
