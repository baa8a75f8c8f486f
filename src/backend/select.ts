/**
 * Backend selection for Node: loads the backend's package on demand, initialises it, installs
 * reglab's wasm kernel fixes, and logs one line saying what was chosen.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../core/errors.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from './wasm-kernels.js';

/** Backends {@link selectBackend} accepts. */
export const BACKEND_NAMES = ['auto', 'tensorflow', 'webgpu', 'native', 'wasm', 'cpu'] as const;

/** A backend name {@link selectBackend} accepts. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Receives the one-line summary (default `console.log`); `false` silences it. */
  log?: ((line: string) => void) | false;
  /**
   * Install reglab's wasm kernel fixes when wasm is chosen (default true); false removes them
   * again, leaving the stock kernels (for A/B benchmarks).
   */
  wasmFixes?: boolean;
}

/** Loads and activates one concrete backend; returns its description for the log line. */
type Loader = (opts: SelectBackendOptions) => Promise<string>;

// A variable (not a literal) so that tsc does not try to resolve the optional, uninstalled package.
const TFJS_NODE = '@tensorflow/tfjs-node';
const WEBGPU = 'webgpu';

/** Imports a package reglab does not depend on; a ReglabError says whether it is missing or broken. */
async function importOptional(pkg: string, needer: string, hint: string): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (err) {
    const missing =
      (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(pkg);
    const why = missing ? 'is not installed' : `failed to load (${(err as Error).message})`;
    throw new ReglabError(`${needer} needs ${pkg}, which ${why}`, hint);
  }
}

/** Switches TF.js to `name`, turning tfjs's silent `false` into an error. */
async function activate(name: string): Promise<void> {
  if (!tf.findBackendFactory(name)) {
    throw new ReglabError(
      `backend ${name} was loaded but did not register with reglab's @tensorflow/tfjs-core`,
      'two copies of @tensorflow/tfjs-core are installed: use one version for all @tensorflow packages (npm dedupe)',
    );
  }
  if (!(await tf.setBackend(name))) {
    throw new ReglabError(
      `backend ${name} failed to initialise`,
      'see the warning TF.js printed above',
    );
  }
  await tf.ready();
}

async function loadCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  return 'cpu (plain JavaScript, slow: for reference and tests)';
}

async function loadNative(): Promise<string> {
  const { registerNativeBackend } = await import('./native-backend.js');
  const addon = registerNativeBackend();
  await activate('native');
  const { gemm, openblasThreads, vectorWidth } = addon.info();
  const blas =
    gemm === 'openblas'
      ? `OpenBLAS, ${openblasThreads ?? 1} thread${openblasThreads === 1 ? '' : 's'}`
      : `built-in GEMM, ${vectorWidth}-wide SIMD`;
  return `native (reglab C++ kernels, ${blas})`;
}

async function loadWasm({ wasmFixes = true }: SelectBackendOptions): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
  if (wasmFixes) installWasmKernelFixes();
  else uninstallWasmKernelFixes();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD';
  const threads = wasm.getThreadsCount();
  // Threads are forced off in Node by tfjs-backend-wasm 4.22; say so, users expect more cores used.
  return `wasm (${simd}, ${threads} thread${threads === 1 ? '' : 's'}, ${wasmFixes ? 'reglab kernel fixes' : 'stock kernels'})`;
}

/** Installs the Dawn `navigator.gpu` and returns an adapter, or throws a ReglabError saying why not. */
/** Folders where the Vulkan loader usually lives on Linux, plus LD_LIBRARY_PATH. */
function vulkanLoaderFolders(): string[] {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [
    ...fromEnv,
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
  ];
}

/**
 * On Linux Dawn needs the Vulkan loader; without it Dawn prints a native warning and finds no
 * adapter. Checking first gives a clear reason and keeps `auto` quiet on machines without a GPU.
 */
function checkVulkanLoader(): void {
  if (process.platform !== 'linux') return;
  if (vulkanLoaderFolders().some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')))) return;
  throw new ReglabError(
    'no Vulkan loader (libvulkan.so.1) on this machine, so WebGPU has no adapter',
    'install libvulkan1 and the GPU vendor Vulkan driver, or put the folder holding libvulkan.so.1 on LD_LIBRARY_PATH',
  );
}

async function webgpuAdapter(): Promise<{ info?: { vendor?: string; description?: string } }> {
  checkVulkanLoader();
  const dawn = (await importOptional(WEBGPU, 'the webgpu backend', 'npm install webgpu')) as {
    create(flags: string[]): GPU;
    globals: object;
  };
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as { navigator?: { gpu?: GPU } };
  g.navigator ??= {};
  const ours = !g.navigator.gpu;
  g.navigator.gpu ??= dawn.create([]);
  const adapter = await g.navigator.gpu.requestAdapter();
  if (!adapter) {
    // Leave no navigator.gpu behind: tfjs-backend-webgpu, if imported later, would register a
    // backend that crashes on the missing adapter.
    if (ours) delete g.navigator.gpu;
    throw new ReglabError(
      'no WebGPU adapter was found (Dawn found no Vulkan GPU)',
      'install the GPU vendor Vulkan driver and the Vulkan loader (libvulkan1); if the driver ICD json ' +
        '(e.g. nvidia_icd.json) is outside the loader search path, set VK_DRIVER_FILES to it',
    );
  }
  return adapter as { info?: { vendor?: string; description?: string } };
}

async function loadWebgpu(): Promise<string> {
  const adapter = await webgpuAdapter();
  // Imported only now: the package registers its backend only if navigator.gpu exists.
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
  const what = [adapter.info?.vendor, adapter.info?.description].filter(Boolean).join(' ');
  return `webgpu (${what || 'Dawn adapter'})`;
}

async function loadTensorflow(): Promise<string> {
  await importOptional(
    TFJS_NODE,
    'the tensorflow backend',
    'npm install @tensorflow/tfjs-node (same version as @tensorflow/tfjs-core; its install downloads libtensorflow)',
  );
  await activate('tensorflow');
  return 'tensorflow (libtensorflow via @tensorflow/tfjs-node)';
}

const LOADERS: Record<Exclude<BackendName, 'auto'>, Loader> = {
  tensorflow: loadTensorflow,
  webgpu: loadWebgpu,
  native: loadNative,
  wasm: loadWasm,
  cpu: loadCpu,
};

/** Tries the concrete backends in order of speed; returns the first that works and what was skipped. */
async function loadAuto(opts: SelectBackendOptions): Promise<{ name: string; line: string }> {
  const skipped: string[] = [];
  for (const name of ['tensorflow', 'webgpu', 'native', 'wasm', 'cpu'] as const) {
    try {
      const line = await LOADERS[name](opts);
      return { name, line: skipped.length ? `${line}; auto skipped ${skipped.join(', ')}` : line };
    } catch (err) {
      skipped.push(
        `${name} (${err instanceof ReglabError ? err.message.split(' — ')[0] : String(err)})`,
      );
    }
  }
  throw new ReglabError(
    `no backend could be initialised (${skipped.join('; ')})`,
    "try selectBackend('cpu')",
  );
}

/**
 * Chooses, loads and activates a TF.js backend, and logs one line such as
 * `backend: wasm (SIMD, 1 thread, reglab kernel fixes)`.
 *
 * - `'wasm'` (the Node default): XNNPACK kernels, single-threaded in Node; reglab's kernel fixes
 *   (fast transposed matmul, conv filter gradient, segment sum) are installed.
 * - `'native'`: the cpu backend's tensors with reglab's C++ kernels (OpenBLAS when the addon
 *   was built against it) for matmuls, convolutions, pooling and the elementwise work; built by
 *   `npm install` when a C++ compiler is present (docs/backends.md).
 * - `'cpu'`: plain JavaScript, 10–20× slower than wasm; the reference for tests.
 * - `'webgpu'`: a GPU through the optional `webgpu` package (Dawn, Vulkan on Linux).
 * - `'tensorflow'`: native libtensorflow through `@tensorflow/tfjs-node`, if the user installed it.
 * - `'auto'`: the first of tensorflow, webgpu (an adapter exists), native (the addon is built),
 *   wasm, cpu that works; the log line says why each skipped one was skipped.
 *
 * ```js
 * const name = await selectBackend('auto');               // e.g. 'wasm'
 * await selectBackend('cpu', {log: false});
 * ```
 *
 * @param name Backend to use (default `'auto'`).
 * @param options `log` receives the summary line; `wasmFixes: false` keeps stock wasm kernels.
 * @returns The TF.js name of the active backend (`tf.getBackend()`).
 * @throws ReglabError for an unknown name, or a backend that cannot load, with the fix as hint.
 */
export async function selectBackend(
  name: BackendName = 'auto',
  options: SelectBackendOptions = {},
): Promise<string> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new ReglabError(`unknown backend '${name}'`, `use one of ${BACKEND_NAMES.join(', ')}`);
  }
  const { name: chosen, line } =
    name === 'auto' ? await loadAuto(options) : { name, line: await LOADERS[name](options) };
  if (options.log !== false) (options.log ?? console.log)(`backend: ${line}`);
  return chosen;
}
